package flux2.model.vae;

import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The FLUX.2 autoencoder: {@link #encode} maps images in [-1, 1] to normalised, patchified latents
 * [N, z*p*p, H/16, W/16] and {@link #decode} maps them back. Inference only; large images run in bands of
 * rows with each layer's temporaries freed as it finishes.
 */
public final class AutoEncoder implements AutoCloseable {
    /** Default size of one band's input: small against full activations, large enough for fast kernels. */
    public static final long DEFAULT_TILE_BYTES = 16L << 20;

    private final VaeConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Tensor bnMean, bnStd;
    private final TensorArena arena;
    private final TensorSource source;

    private AutoEncoder(VaeWeights w, long tileBytes, TensorArena arena, TensorSource source) {
        if (tileBytes < 1) throw new IllegalArgumentException("tile bytes must be positive, got " + tileBytes);
        this.config = w.config();
        this.arena = arena;
        this.source = source;
        encoder = new Encoder(w, tileBytes);
        decoder = new Decoder(w, tileBytes);
        int c = config.latentChannels();
        try (var s = arena == null ? null : arena.enter()) {
            bnMean = w.get("bn.running_mean").reshape(1, c, 1, 1);
            bnStd = w.get("bn.running_var").add(config.bnEps()).sqrt().reshape(1, c, 1, 1);
        }
    }

    /** An autoencoder over weights already loaded; it does not own them. */
    public static AutoEncoder of(VaeWeights weights, long tileBytes) {
        return new AutoEncoder(weights, tileBytes, null, null);
    }

    /** {@link #load(Path, VaeConfig, long)} with the checkpoint's own config and the default band size. */
    public static AutoEncoder load(Path checkpoint) throws IOException {
        return load(checkpoint, VaeConfig.forCheckpoint(checkpoint), DEFAULT_TILE_BYTES);
    }

    /**
     * Maps a checkpoint ({@code ae.safetensors}, a diffusers {@code vae/} file or folder) and builds the
     * autoencoder over it; the file stays mapped until {@link #close()}.
     */
    public static AutoEncoder load(Path checkpoint, VaeConfig config, long tileBytes) throws IOException {
        TensorSource src = Checkpoints.open(checkpoint);
        TensorArena arena = TensorArena.create("vae-weights");
        try (var s = arena.enter()) {
            return new AutoEncoder(VaeWeights.load(src, config), tileBytes, arena, src);
        } catch (RuntimeException e) {
            arena.close();
            src.close();
            throw e;
        }
    }

    public VaeConfig config() { return config; }

    /** Latent of images [N, 3, H, W] in [-1, 1] (sides multiples of 16): mean of the posterior, patchified, standardised. */
    public Tensor encode(Tensor image) {
        int[] s = image.shape();
        int f = config.pixelsPerLatent();
        if (s.length != 4 || s[1] != config.inChannels() || s[2] % f != 0 || s[3] % f != 0 || s[2] == 0 || s[3] == 0)
            throw new IllegalArgumentException("VAE encode takes images [N, " + config.inChannels() + ", H, W] with H and W positive multiples of "
                    + f + ", got " + Arrays.toString(s));
        TensorArena outer = TensorArena.current();
        try (var tmp = TensorArena.open("vae-encode")) {
            Tensor moments = encoder.forward(image);
            Tensor mean = moments.narrow(1, 0, config.zChannels());
            return Layouts.pixelUnshuffle(mean, config.patch()).sub(bnMean).div(bnStd).copyTo(outer);
        }
    }

    /** Images [N, 3, H, W], nominally in [-1, 1], of latents [N, z*p*p, H/16, W/16]. */
    public Tensor decode(Tensor latent) {
        int[] s = latent.shape();
        if (s.length != 4 || s[1] != config.latentChannels() || s[2] == 0 || s[3] == 0)
            throw new IllegalArgumentException("VAE decode takes latents [N, " + config.latentChannels() + ", h, w], got " + Arrays.toString(s));
        TensorArena outer = TensorArena.current();
        try (var tmp = TensorArena.open("vae-decode")) {
            Tensor z = Layouts.pixelShuffle(latent.mul(bnStd).add(bnMean), config.patch());
            return decoder.forward(z).copyTo(outer);
        }
    }

    /** Unmaps the checkpoint and frees the widened vectors when this autoencoder loaded them itself. */
    @Override
    public void close() {
        if (arena != null) arena.close();
        if (source != null) source.close();
    }
}
