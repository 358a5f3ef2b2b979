package flux2.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.List;

/**
 * Command-line overrides of config.json: {@code --key value}, {@code --key=value}, or a bare {@code --key} (true).
 * Values are read as JSON when they parse as JSON (numbers, booleans, null, lists), else as strings.
 */
public final class Overrides {
    /** The name under which override problems are reported. */
    public static final String SOURCE = "command line";

    private static final ObjectMapper JSON = ConfigJson.MAPPER;

    private Overrides() {}

    /** Applies the overrides to {@code config} (replacing the key however config.json spelled it). */
    public static void apply(ObjectNode config, List<String> args, Problems problems) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                problems.error(SOURCE, a, "expected --key value, found '" + a + "'");
                continue;
            }
            String key = a.substring(2);
            String raw;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                raw = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                raw = args.get(++i);
            } else {
                raw = "true";
            }
            config.remove(key);
            config.remove("--" + key);
            config.set(key, parse(raw));
        }
    }

    private static JsonNode parse(String raw) {
        try {
            JsonNode n = JSON.readTree(raw);
            return n == null || n.isMissingNode() ? TextNode.valueOf(raw) : n;
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(raw);
        }
    }
}
