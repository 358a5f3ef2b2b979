package flux2.trainer.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One validation prompt: the short name used in validation image file names, its prompt, and the reference images
 * an edit LoRA is validated with (empty for text-to-image).
 */
public record PromptEntry(String shortname, String prompt, List<Path> referenceImages) {
    public PromptEntry {
        referenceImages = List.copyOf(referenceImages);
    }

    /** A text-to-image prompt. */
    public PromptEntry(String shortname, String prompt) {
        this(shortname, prompt, List.of());
    }
}
