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
 * or crop rebuilds it.
 */
public final class LatentCache {
    private final Path dir;
    private final String modelId;

    public LatentCache(Path dir, String modelId) {
        this.dir = dir;
        this.modelId = modelId;
    }

    public Path dir() { return dir; }

    public Path file(ImageEntry e) {
        return dir.resolve(Hashing.sha256(e.relativePath()) + ".safetensors");
    }

    /** The key an up-to-date entry for {@code e} carries. */
    public String key(ImageEntry e) {
        try {
            return Hashing.sha256("flux2-latent-v1", modelId, e.relativePath(), Long.toString(Files.size(e.file())),
                    Long.toString(Files.getLastModifiedTime(e.file()).toMillis()), e.plan().toString());
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
