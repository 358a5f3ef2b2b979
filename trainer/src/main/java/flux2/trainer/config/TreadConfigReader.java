package flux2.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.tread.TreadConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads {@code tread_config}: {"routes": [{"selection_ratio", "start_layer_idx", "end_layer_idx"}, ...]} (spec
 * flux2-training.md section 5). The value may also be that JSON written as a string, as SimpleTuner's command line
 * passes it. Block indices are checked against the model when training starts (the block count is the model's).
 */
public final class TreadConfigReader {
    private static final String KEY = "tread_config";
    private static final Set<String> ROUTE_FIELDS = Set.of("selection_ratio", "start_layer_idx", "end_layer_idx");
    private static final ObjectMapper JSON = ConfigJson.MAPPER;

    private TreadConfigReader() {}

    /** The routes of {@code node} (null when absent); every problem goes to {@code problems} under {@code file}. */
    public static TreadConfig read(String file, JsonNode node, Problems problems) {
        if (node == null || node.isNull()) return null;
        if (node.isTextual()) {
            try {
                node = JSON.readTree(node.textValue());
            } catch (JsonProcessingException e) {
                problems.error(file, KEY, ConfigJson.describe(e));
                return null;
            }
        }
        String shape = "expected {\"routes\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 2, \"end_layer_idx\": -2}, ...]}";
        if (node == null || !node.isObject()) {
            problems.error(file, KEY, "wrong type: " + shape);
            return null;
        }
        int before = problems.errors().size();
        for (var it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("routes")) problems.error(file, KEY + "." + f, "unknown field; allowed: routes");
        }
        JsonNode routes = node.get("routes");
        if (routes == null || !routes.isArray() || routes.isEmpty()) {
            problems.error(file, KEY + ".routes", (routes == null ? "missing" : "must be a non-empty list") + ": " + shape);
            return null;
        }
        List<TreadConfig.Route> out = new ArrayList<>();
        for (int i = 0; i < routes.size(); i++) {
            String where = KEY + ".routes[" + i + "]";
            JsonNode r = routes.get(i);
            if (!r.isObject()) {
                problems.error(file, where, "wrong type: expected an object with selection_ratio, start_layer_idx, end_layer_idx");
                continue;
            }
            for (var it = r.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!ROUTE_FIELDS.contains(f)) problems.error(file, where + "." + f, "unknown field; allowed: selection_ratio, start_layer_idx, end_layer_idx");
            }
            Double ratio = number(file, where, r, "selection_ratio", problems);
            Integer start = integer(file, where, r, "start_layer_idx", problems);
            Integer end = integer(file, where, r, "end_layer_idx", problems);
            if (ratio != null && !(ratio >= 0 && ratio < 1))
                problems.error(file, where + ".selection_ratio", ratio + " is out of range: expected 0 <= ratio < 1 (the fraction of image tokens routed around the window)");
            else if (ratio != null && start != null && end != null) out.add(new TreadConfig.Route(ratio, start, end));
        }
        if (problems.errors().size() > before) return null;
        TreadConfig c = new TreadConfig(out);
        // with non-negative indices, order and overlap are known without the model; the rest is checked against it
        if (out.stream().allMatch(r -> r.startLayerIdx() >= 0 && r.endLayerIdx() >= 0)) {
            try {
                c.resolve(Integer.MAX_VALUE);
            } catch (IllegalArgumentException e) {
                for (String line : e.getMessage().split("\n  ")) if (!line.startsWith("invalid")) problems.error(file, KEY, line);
                return null;
            }
        }
        return c;
    }

    private static Double number(String file, String where, JsonNode r, String field, Problems problems) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            problems.error(file, where + "." + field, "missing (a number in [0, 1))");
            return null;
        }
        if (!v.isNumber()) {
            problems.error(file, where + "." + field, "wrong type: " + v + " is not a number in [0, 1)");
            return null;
        }
        return v.doubleValue();
    }

    private static Integer integer(String file, String where, JsonNode r, String field, Problems problems) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            problems.error(file, where + "." + field, "missing (a block index; negative counts from the end)");
            return null;
        }
        if (!v.canConvertToInt() || !(v.isIntegralNumber() || v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()))) {
            problems.error(file, where + "." + field, "wrong type: " + v + " is not an integer block index");
            return null;
        }
        return v.intValue();
    }
}
