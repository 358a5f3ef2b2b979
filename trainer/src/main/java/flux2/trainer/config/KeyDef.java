package flux2.trainer.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One configuration key this trainer implements: its JSON kind, SimpleTuner's default, and for enumerations
 * the values implemented here, SimpleTuner values mapped onto one of them, and SimpleTuner values not implemented.
 */
public record KeyDef(String name, Kind kind, Object defaultValue, boolean required, List<String> allowed,
                     Map<String, String> substitutes, List<String> notImplemented, Double min, String alias) {

    /** The JSON shapes a key accepts. */
    public enum Kind { BOOL, INT, NUMBER, STRING, ENUM, STRING_LIST, JSON }

    public static KeyDef of(String name, Kind kind, Object defaultValue) {
        return new KeyDef(name, kind, defaultValue, false, List.of(), Map.of(), List.of(), null, null);
    }

    public static KeyDef bool(String name, boolean defaultValue) {
        return of(name, Kind.BOOL, defaultValue);
    }

    public static KeyDef integer(String name, Long defaultValue) {
        return of(name, Kind.INT, defaultValue);
    }

    public static KeyDef number(String name, Double defaultValue) {
        return of(name, Kind.NUMBER, defaultValue);
    }

    public static KeyDef string(String name, String defaultValue) {
        return of(name, Kind.STRING, defaultValue);
    }

    /** An enumeration whose implemented values are {@code allowed}. */
    public static KeyDef choice(String name, String defaultValue, String... allowed) {
        return new KeyDef(name, Kind.ENUM, defaultValue, false, List.of(allowed), Map.of(), List.of(), null, null);
    }

    public KeyDef require() {
        return new KeyDef(name, kind, defaultValue, true, allowed, substitutes, notImplemented, min, alias);
    }

    /** SimpleTuner values this trainer does not implement (an error that says so, rather than "unknown value"). */
    public KeyDef notImplemented(String... values) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, List.of(values), min, alias);
    }

    /** A SimpleTuner value that runs here as {@code ours} (reported as a warning). */
    public KeyDef substitute(String theirs, String ours) {
        var m = new LinkedHashMap<>(substitutes);
        m.put(theirs, ours);
        return new KeyDef(name, kind, defaultValue, required, allowed, Map.copyOf(m), notImplemented, min, alias);
    }

    public KeyDef min(double minimum) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, notImplemented, minimum, alias);
    }

    /** A legacy SimpleTuner name meaning the same key. */
    public KeyDef alias(String legacy) {
        return new KeyDef(name, kind, defaultValue, required, allowed, substitutes, notImplemented, min, legacy);
    }

    /** Human description of what the key accepts, for error messages. */
    public String describeAllowed() {
        return switch (kind) {
            case BOOL -> "true or false";
            case INT -> min == null ? "an integer" : "an integer >= " + (long) (double) min;
            case NUMBER -> min == null ? "a number" : "a number >= " + min;
            case STRING -> "a string";
            case ENUM -> "one of " + String.join(", ", allowed) + (substitutes.isEmpty() ? "" : " (also accepted: " + String.join(", ", substitutes.keySet()) + ")");
            case STRING_LIST -> "a list of strings or one string";
            case JSON -> "a JSON value";
        };
    }
}
