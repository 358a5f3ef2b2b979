package flux2.trainer.cache;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;

/**
 * FLUX.2 text embeddings by caption ({@code cache_dir} of the text_embeds dataset): one safetensors file per
 * caption holding {@code prompt_embeds} [512, width] in the full padded form the pipelines use (BF16, like
 * SimpleTuner's cache). The file name hashes the text encoder's identity with the caption, so another model or
 * another caption never reads a stale entry.
 */
public final class TextEmbedCache {
    private final Path dir;
    private final String modelId;

    public TextEmbedCache(Path dir, String modelId) {
        this.dir = dir;
        this.modelId = modelId;
    }

    public Path dir() { return dir; }

    private String key(String caption) { return Hashing.sha256("flux2-text-v1", modelId, caption); }

    public Path file(String caption) { return dir.resolve(key(caption) + "-flux2.safetensors"); }

    public boolean has(String caption) { return EntryFile.isValid(file(caption), key(caption)); }

    /** Stores the embedding [L, width] of one caption. */
    public void put(String caption, Tensor embeds) {
        EntryFile.write(file(caption), "prompt_embeds", embeds.to(DType.BF16), key(caption), Map.of("flux2.caption", caption));
    }

    /** The embedding [L, width] (F32, current arena) of {@code caption}. */
    public Tensor get(String caption) {
        return EntryFile.read(file(caption), "prompt_embeds", key(caption), "text embedding of \"" + caption + "\"");
    }
}
