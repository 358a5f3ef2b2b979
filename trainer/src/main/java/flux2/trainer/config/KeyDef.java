package flux2.trainer.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One configuration key this trainer implements: its JSON kind, SimpleTuner's default, the range of a number
 * ({@code min} and {@code max}, both inclusive; every integer key has both, see {@link KeyTable}), and for
 * enumerations the values implemented here, SimpleTuner values mapped onto one of them, and SimpleTuner values not
 * implemented.
 */
public record KeyDef(String name, Kind kind, Object defaultValue, boolean required, List<String> allowed,
                     Map<String, String> substitutes, List<String> notImplemented, Double min, Double max, String alias) {

    /** The JSON shapes a key accepts. */
    public enum Kind { BOOL, INT, NUMBER, STRING, ENUM, STRING_LIST, JSON }

    public KeyDef {
        if (min != null && max != null && min > max) throw new IllegalArgumentException(name + ": min " + min + " is above max " + max);
    }

    public static KeyDef of(String name, Kind kind, Object defaultValue) {
        return new KeyDef(name, kind, defaultValue, false, List.of(), Map.of(), List.of(), null, null, null);
    }

    public static KeyDef bool(String name, boolean defaultValue) {
        return of(name, Kind.BOOL, defaultValue);
    }

    /** An integer key; give it its range with {@link #range}. */
    public static KeyDef integer(String name, Long defaultValue) {
        return of(name, Kind.INT, defaultValue);
    }

    /** A number key: any finite number unless {@link #min} or {@link #range} narrow it. */
    public static KeyDef number(String name, Double defaultValue) {
        return of(name, Kind.NUMBER, defaultValue);
    }

    public static KeyDef string(String name, String defaultValue) {
        return of(name, Kind.STRING, defaultValue);
    }

    /** An enumeration whose implemented values are {@code allowed}. */
    public static KeyDef choice(String name, String defaultValue, String... allowed) {
        return new KeyDef(name, Kind.ENUM, defaultValue, false, List.of(allowed), Map.of(), List.of(), null, null, null);
    }

    public KeyDef require() {
        return new KeyDef(name, kind, defaultValue, true, allowed, substitutes, notImplemented, min, max, alias);
    }

    /** SimpleTuner values this trainer does not implement (an error that says so, rather than "unknown value"). */
    public KeyDef notImplemented(String... values) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, List.of(values), min, max, alias);
    }

    /** A SimpleTuner value that runs here as {@code ours} (reported as a warning). */
    public KeyDef substitute(String theirs, String ours) {
        var m = new LinkedHashMap<>(substitutes);
        m.put(theirs, ours);
        return new KeyDef(name, kind, defaultValue, required, allowed, Map.copyOf(m), notImplemented, min, max, alias);
    }

    /** The smallest value allowed (a number key without an upper bound). */
    public KeyDef min(double minimum) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, notImplemented, minimum, max, alias);
    }

    /** The values allowed, from {@code minimum} to {@code maximum} inclusive. */
    public KeyDef range(double minimum, double maximum) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, notImplemented, minimum, maximum, alias);
    }

    /** A legacy SimpleTuner name meaning the same key. */
    public KeyDef alias(String legacy) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, notImplemented, min, max, legacy);
    }

    /** Whether a converted value lies in the key's range. */
    boolean inRange(double value) {
        return (min == null || value >= min) && (max == null || value <= max);
    }

    /** Human description of what the key accepts, for error messages. */
    public String describeAllowed() {
        return switch (kind) {
            case BOOL -> "true or false";
            case INT -> "an integer" + describeRange();
            case NUMBER -> "a finite number" + describeRange();
            case STRING -> "a string";
            case ENUM -> "one of " + String.join(", ", allowed) + (substitutes.isEmpty() ? "" : " (also accepted: " + String.join(", ", substitutes.keySet()) + ")");
            case STRING_LIST -> "a list of strings or one string";
            case JSON -> "a JSON value";
        };
    }

    private String describeRange() {
        if (min != null && max != null) return " from " + format(min) + " to " + format(max);
        if (min != null) return " >= " + format(min);
        if (max != null) return " <= " + format(max);
        return "";
    }

    /** Integers without a decimal point, other numbers as Java prints them. */
    static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e18 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
