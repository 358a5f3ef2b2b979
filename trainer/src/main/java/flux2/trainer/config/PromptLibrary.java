package flux2.trainer.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads user_prompt_library.json: {shortname: "prompt"} or {shortname: {"prompt"|"caption"|"tags": "...", ...}}
 * as SimpleTuner reads it. For edit LoRAs an object entry may name its reference images with "path" (one path or a list),
 * the field SimpleTuner's validation_input entries use; they are appended after the generated image's tokens as
 * references 0, 1, ... Relative paths are read from the working directory, else from the library's folder.
 */
public final class PromptLibrary {
    private static final List<String> PROMPT_FIELDS = List.of("prompt", "caption", "tags");
    private static final String REFERENCE_FIELD = "path";
    private static final Set<String> UNSUPPORTED_FIELDS = Set.of("adapter_strength", "negative_prompt", "validation_guidance", "seed");

    private PromptLibrary() {}

    /** Entries without reference images ("path" is reported as needing a location). */
    public static List<PromptEntry> read(String file, JsonNode root, Problems problems) {
        return read(file, root, null, null, problems);
    }

    /** Entries whose reference paths resolve against {@code workDir}, then {@code libraryDir}. */
    public static List<PromptEntry> read(String file, JsonNode root, Path workDir, Path libraryDir, Problems problems) {
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
            List<Path> refs = new ArrayList<>();
            for (var f = v.fields(); f.hasNext(); ) {
                var field = f.next();
                if (field.getKey().equals(REFERENCE_FIELD)) {
                    references(file, name, field.getValue(), workDir, libraryDir, refs, problems);
                } else if (PROMPT_FIELDS.contains(field.getKey())) {
                    if (!field.getValue().isTextual()) problems.error(file, name + "." + field.getKey(), "wrong type: expected a string");
                    else if (prompt == null) prompt = field.getValue().textValue();
                } else if (UNSUPPORTED_FIELDS.contains(field.getKey())) {
                    problems.warn(file, name + "." + field.getKey(), "accepted by SimpleTuner but not implemented by this trainer; ignored");
                } else {
                    problems.error(file, name + "." + field.getKey(), "unknown field; allowed: " + String.join(", ", PROMPT_FIELDS) + ", " + REFERENCE_FIELD
                            + " (reference images), " + String.join(", ", UNSUPPORTED_FIELDS));
                }
            }
            if (prompt == null) problems.error(file, name, "no prompt: give one of " + String.join(", ", PROMPT_FIELDS));
            else out.add(new PromptEntry(name, prompt, refs));
        }
        return out;
    }

    private static void references(String file, String name, JsonNode v, Path workDir, Path libraryDir, List<Path> refs, Problems problems) {
        String key = name + "." + REFERENCE_FIELD;
        List<JsonNode> items = new ArrayList<>();
        if (v.isArray()) v.forEach(items::add);
        else items.add(v);
        if (items.isEmpty()) problems.error(file, key, "empty list: give one reference image path or a list of them");
        for (JsonNode i : items) {
            if (!i.isTextual() || i.textValue().isBlank()) {
                problems.error(file, key, "wrong type: " + i + " is not an image path (give one path or a list of paths)");
                continue;
            }
            if (workDir == null) {
                problems.error(file, key, "reference images need the library's location to be resolved");
                continue;
            }
            Path p = ConfigPaths.existing(workDir, libraryDir, i.textValue(), false, file, key, problems);
            if (p != null) refs.add(p);
        }
    }
}
