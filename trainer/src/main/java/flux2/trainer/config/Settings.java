package flux2.trainer.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated values of one JSON object against a {@link KeyTable}: keys with or without a leading "--", legacy
 * aliases folded onto their key, every value converted to its Java type, defaults from the table for absent keys.
 */
public final class Settings {
    private final KeyTable table;
    private final Map<String, Object> values;
    private final List<String> unsupportedKeys;
    private final Map<String, String> written = new LinkedHashMap<>();

    private Settings(KeyTable table, Map<String, Object> values, List<String> unsupportedKeys) {
        this.table = table;
        this.values = values;
        this.unsupportedKeys = unsupportedKeys;
    }

    /** Validates {@code node} (which should be a JSON object); every problem goes to {@code problems} under {@code file}. */
    public static Settings read(String file, JsonNode node, KeyTable table, Problems problems) {
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> unsupported = new ArrayList<>();
        if (node == null || !node.isObject()) {
            problems.error(file, "", "expected a JSON object of settings, found " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
            return new Settings(table, values, unsupported);
        }
        Settings settings = new Settings(table, values, unsupported);
        Map<String, String> spelled = new LinkedHashMap<>(); // canonical key -> how the file spelled it
        for (var it = node.fields(); it.hasNext(); ) {
            var field = it.next();
            String name = field.getKey().startsWith("--") ? field.getKey().substring(2) : field.getKey();
            KeyDef def = table.lookup(name);
            if (def == null) {
                if (table.isUnsupported(name)) {
                    unsupported.add(name);
                    problems.warn(file, name, "accepted by SimpleTuner but not implemented by this trainer; ignored (value " + field.getValue() + ")");
                } else {
                    String near = table.suggest(name);
                    problems.error(file, name, "unknown key" + (near != null ? " (did you mean " + near + "?)" : ""));
                }
                continue;
            }
            String earlier = spelled.putIfAbsent(def.name(), field.getKey());
            if (earlier != null) {
                problems.error(file, def.name(), "given twice (as " + earlier + " and " + field.getKey() + ")");
                continue;
            }
            Object v = convert(file, def, field.getValue(), problems);
            if (v != null) values.put(def.name(), v);
            if (field.getValue().isValueNode() && !field.getValue().isNull()) settings.written.put(def.name(), field.getValue().asText());
        }
        for (KeyDef def : table.defs())
            if (def.required() && !values.containsKey(def.name()) && !spelled.containsKey(def.name()))
                problems.error(file, def.name(), "required key is missing (" + def.describeAllowed() + ")");
        return settings;
    }

    private static Object convert(String file, KeyDef def, JsonNode v, Problems problems) {
        if (v.isNull()) return null; // null means "use the default", as in SimpleTuner's JSON loader
        if ((def.kind() == KeyDef.Kind.INT || def.kind() == KeyDef.Kind.NUMBER) && isOutOfRange(def, v)) {
            problems.error(file, def.name(), v + " is out of range: expected " + def.describeAllowed());
            return null;
        }
        Object out = switch (def.kind()) {
            case BOOL -> v.isBoolean() ? (Object) v.booleanValue()
                    : v.isTextual() && v.textValue().equalsIgnoreCase("true") ? Boolean.TRUE
                    : v.isTextual() && v.textValue().equalsIgnoreCase("false") ? Boolean.FALSE : null;
            case INT -> toLong(v);
            case NUMBER -> toDouble(v);
            case STRING -> v.isTextual() ? v.textValue() : v.isNumber() ? v.asText() : null;
            case ENUM -> v.isTextual() || v.isNumber() ? v.asText() : null;
            case STRING_LIST -> toStringList(v);
            case JSON -> v;
        };
        if (out == null) {
            problems.error(file, def.name(), "wrong type: " + v + " is not " + def.describeAllowed());
            return null;
        }
        if (out instanceof Number n && !def.inRange(n.doubleValue())) {
            problems.error(file, def.name(), v + " is out of range: expected " + def.describeAllowed());
            return null;
        }
        if (def.kind() == KeyDef.Kind.ENUM) return checkChoice(file, def, (String) out, problems);
        return out;
    }

    /** A number (or numeric text) too large for any reading of it: beyond a long, or not finite (1e400 is Infinity). */
    private static boolean isOutOfRange(KeyDef def, JsonNode v) {
        if (v.isIntegralNumber()) return !v.canConvertToLong();
        double d;
        if (v.isNumber()) d = v.doubleValue();
        else if (v.isTextual()) {
            try {
                d = Double.parseDouble(v.textValue().trim());
            } catch (NumberFormatException e) {
                return false; // not a number at all: reported as a wrong type
            }
        } else return false;
        return !Double.isFinite(d) || def.kind() == KeyDef.Kind.INT && d == Math.rint(d) && Math.abs(d) >= 1e15;
    }

    private static String checkChoice(String file, KeyDef def, String value, Problems problems) {
        if (def.allowed().contains(value)) return value;
        String sub = def.substitutes().get(value);
        if (sub != null) {
            problems.warn(file, def.name(), "'" + value + "' is not implemented by this trainer; using '" + sub + "'");
            return sub;
        }
        if (def.notImplemented().contains(value))
            problems.error(file, def.name(), "'" + value + "' is a SimpleTuner value this trainer does not implement; implemented: " + String.join(", ", def.allowed()));
        else
            problems.error(file, def.name(), "'" + value + "' is not allowed; allowed: " + def.describeAllowed().substring("one of ".length()));
        return null;
    }

    private static Long toLong(JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
        if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()) && Math.abs(v.doubleValue()) < 1e15) return (long) v.doubleValue();
        if (v.isTextual()) {
            try { return Long.parseLong(v.textValue().trim()); } catch (NumberFormatException e) { return null; }
        }
        return null;
    }

    private static Double toDouble(JsonNode v) {
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.textValue().trim());
            } catch (NumberFormatException e) { return null; }
        }
        return null;
    }

    private static List<String> toStringList(JsonNode v) {
        if (v.isTextual()) return List.of(v.textValue());
        if (!v.isArray()) return null;
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) return null;
            out.add(e.textValue());
        }
        return out;
    }

    /** Whether the file gave the key a non-null value. */
    public boolean isSet(String name) {
        return values.containsKey(def(name).name());
    }

    public Boolean bool(String name) {
        return (Boolean) get(name);
    }

    public Long integer(String name) {
        return (Long) get(name);
    }

    /**
     * An integer key read as an int; its range (every integer key has one) keeps it inside an int, and a key whose
     * range does not is a programming error rather than a silently wrapped value.
     */
    public int int32(String name) {
        Long v = integer(name);
        if (v == null) throw new IllegalArgumentException("key " + name + " has no value and no default");
        return Math.toIntExact(v);
    }

    public Double number(String name) {
        Object v = get(name);
        return v == null ? null : ((Number) v).doubleValue();
    }

    public String string(String name) {
        return (String) get(name);
    }

    @SuppressWarnings("unchecked")
    public List<String> list(String name) {
        return (List<String>) get(name);
    }

    public JsonNode json(String name) {
        return (JsonNode) get(name);
    }

    /** The value as the file wrote it (before a substitution), or null when absent. */
    public String written(String name) {
        return written.get(def(name).name());
    }

    /** SimpleTuner keys present in the file that this trainer ignores (each was also reported as a warning). */
    public List<String> unsupportedKeys() {
        return Collections.unmodifiableList(unsupportedKeys);
    }

    private Object get(String name) {
        KeyDef d = def(name);
        return values.containsKey(d.name()) ? values.get(d.name()) : d.defaultValue();
    }

    private KeyDef def(String name) {
        KeyDef d = table.lookup(name);
        if (d == null) throw new IllegalArgumentException("no such key in the table: " + name);
        return d;
    }
}
