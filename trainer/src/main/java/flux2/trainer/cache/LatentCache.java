package flux2.trainer.cache;

import flux2.tensor.Tensor;
import flux2.trainer.data.ImageEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The VAE latents of one dataset ({@code cache_dir_vae}): one safetensors file per image, named by the hash of its
 * path in the dataset, holding {@code latent} [C, h, w] (F32, standardised posterior mean). The entry's key hashes
 * the VAE's identity, the image file (path, size, modification time) and its crop plan, so another model, resolution
 * or crop rebuilds it. A reference cache has a variant (its conditioning type and paired dataset) that enters the
 * file name and the key, so that one conditioning folder paired or cropped in several ways keeps one entry per way.
 */
public final class LatentCache {
    private final Path dir;
    private final String modelId;
    private final String variant;

    public LatentCache(Path dir, String modelId) {
        this(dir, modelId, "");
    }

    /** A cache whose entries also depend on {@code variant} (empty for a training dataset's own latents). */
    public LatentCache(Path dir, String modelId, String variant) {
        this.dir = dir;
        this.modelId = modelId;
        this.variant = variant;
    }

    public Path dir() { return dir; }

    public Path file(ImageEntry e) {
        return dir.resolve((variant.isEmpty() ? Hashing.sha256(e.relativePath()) : Hashing.sha256(variant, e.relativePath())) + ".safetensors");
    }

    /** The key an up-to-date entry for {@code e} carries. */
    public String key(ImageEntry e) {
        try {
            String size = Long.toString(Files.size(e.file())), time = Long.toString(Files.getLastModifiedTime(e.file()).toMillis());
            return variant.isEmpty() ? Hashing.sha256("flux2-latent-v1", modelId, e.relativePath(), size, time, e.plan().toString())
                    : Hashing.sha256("flux2-latent-v1", modelId, variant, e.relativePath(), size, time, e.plan().toString());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read " + e.file() + ": " + ex.getMessage(), ex);
        }
    }

    public boolean has(ImageEntry e) { return EntryFile.isValid(file(e), key(e)); }

    public void put(ImageEntry e, Tensor latent) {
        EntryFile.write(file(e), "latent", latent, key(e), Map.of("flux2.source", e.relativePath(), "flux2.size", e.plan().bucket()));
    }

    /** The latent [C, h, w] of {@code e} in the current arena. */
    public Tensor get(ImageEntry e) {
        return EntryFile.read(file(e), "latent", key(e), "latent of " + e.relativePath());
    }
}
