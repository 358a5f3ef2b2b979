package flux2.trainer.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads user_prompt_library.json: {shortname: "prompt"} or {shortname: {"prompt"|"caption"|"tags": "...", ...}}
 * (spec section 9).
 */
public final class PromptLibrary {
    private static final List<String> PROMPT_FIELDS = List.of("prompt", "caption", "tags");
    private static final Set<String> UNSUPPORTED_FIELDS = Set.of("adapter_strength", "negative_prompt", "validation_guidance", "seed");

    private PromptLibrary() {}

    public static List<PromptEntry> read(String file, JsonNode root, Problems problems) {
        List<PromptEntry> out = new ArrayList<>();
        if (root == null || !root.isObject()) {
            problems.error(file, "", "expected a JSON object {shortname: prompt}");
            return out;
        }
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.isBlank()) problems.error(file, name, "empty shortname");
            if (v.isTextual()) {
                out.add(new PromptEntry(name, v.textValue()));
                continue;
            }
            if (!v.isObject()) {
                problems.error(file, name, "wrong type: expected a prompt string or an object with one of " + String.join(", ", PROMPT_FIELDS));
                continue;
            }
            String prompt = null;
            for (var f = v.fields(); f.hasNext(); ) {
                var field = f.next();
                if (PROMPT_FIELDS.contains(field.getKey())) {
                    if (!field.getValue().isTextual()) problems.error(file, name + "." + field.getKey(), "wrong type: expected a string");
                    else if (prompt == null) prompt = field.getValue().textValue();
                } else if (UNSUPPORTED_FIELDS.contains(field.getKey())) {
                    problems.warn(file, name + "." + field.getKey(), "accepted by SimpleTuner but not implemented by this trainer; ignored");
                } else {
                    problems.error(file, name + "." + field.getKey(), "unknown field; allowed: " + String.join(", ", PROMPT_FIELDS) + ", " + String.join(", ", UNSUPPORTED_FIELDS));
                }
            }
            if (prompt == null) problems.error(file, name, "no prompt: give one of " + String.join(", ", PROMPT_FIELDS));
            else out.add(new PromptEntry(name, prompt));
        }
        return out;
    }
}
