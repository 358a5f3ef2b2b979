package flux2.model.vae;

import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The FLUX.2 autoencoder (official {@code AutoEncoder}), with the parameter names of {@code ae.safetensors}.
 * {@link #encode} maps images in [-1, 1] to normalised, patchified latents [N, z*p*p, H/16, W/16] and
 * {@link #decode} maps them back; both run band by band of rows, each layer's memory freed as the next one
 * finishes. The same network is differentiable on the autograd graph ({@link #posteriorMean}, {@link #decoder})
 * for training.
 */
public final class AutoEncoder extends Module implements AutoCloseable {
    /** Default size of one band's input: small against full activations, large enough for fast kernels. */
    public static final long DEFAULT_TILE_BYTES = 16L << 20;

    private final VaeConfig config;
    public final Encoder encoder;
    public final Decoder decoder;
    private final BatchNorm bn;
    private long tileBytes = DEFAULT_TILE_BYTES;
    private TensorArena arena;
    private TensorSource source;

    /** The latent batch-norm statistics, which are measured, never trained. */
    private static final class BatchNorm extends Module {
        final Parameter runningMean, runningVar;

        BatchNorm(int channels, TensorArena arena) {
            runningMean = param("running_mean", new Parameter(DType.F32, new int[]{channels}, false, arena));
            runningVar = param("running_var", new Parameter(DType.F32, new int[]{channels}, false, arena).initialValue(1));
        }
    }

    /**
     * An autoencoder of this config whose parameters (F32, allocated in {@code arena} when first read) are zero,
     * norms identity, until loaded or {@link #initialize initialised}.
     */
    public AutoEncoder(VaeConfig config, TensorArena arena) {
        this.config = config;
        encoder = child("encoder", new Encoder(config, arena));
        decoder = child("decoder", new Decoder(config, arena));
        bn = child("bn", new BatchNorm(config.latentChannels(), arena));
    }

    /** An autoencoder over weights already loaded; it does not own them. */
    public static AutoEncoder of(VaeWeights weights, long tileBytes) {
        if (tileBytes < 1) throw new IllegalArgumentException("tile bytes must be positive, got " + tileBytes);
        AutoEncoder ae = new AutoEncoder(weights.config(), null);
        ae.loadStateDict(weights.tensors(), true, false);
        ae.setTrainable(false);
        ae.tileBytes = tileBytes;
        return ae;
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
            AutoEncoder ae = of(VaeWeights.load(src, config), tileBytes);
            ae.arena = arena;
            ae.source = src;
            return ae;
        } catch (RuntimeException e) {
            arena.close();
            src.close();
            throw e;
        }
    }

    public VaeConfig config() { return config; }

    /**
     * Fresh weights: convolutions normal with std 1/sqrt(fan-in) (decoder.conv_out's times {@code convOutScale}),
     * norms identity, biases zero, batch-norm statistics mean 0 and variance 1. Returns this autoencoder.
     */
    public AutoEncoder initialize(Rng rng, double convOutScale) {
        namedParameters().forEach((name, p) -> {
            int[] s = p.shape();
            if (s.length == 4) {
                double std = 1 / Math.sqrt((double) s[1] * s[2] * s[3]);
                rng.fillNormal(p.value(), 0, name.equals("decoder.conv_out.weight") ? convOutScale * std : std);
            } else {
                p.value().fill(name.matches(".*norm\\w*\\.weight") || name.equals("bn.running_var") ? 1 : 0);
            }
        });
        return this;
    }

    /** The trained parameters by official name: all but the batch-norm statistics. */
    public Map<String, Parameter> weights() {
        Map<String, Parameter> out = new LinkedHashMap<>(namedParameters());
        out.keySet().removeIf(k -> k.startsWith("bn."));
        return out;
    }

    /** Posterior means [N, z, H/f, W/f] of images [N, 3, H, W] in [-1, 1], on the autograd graph. */
    public Var posteriorMean(Var image) { return encoder.forward(image).narrow(1, 0, config.zChannels()); }

    /** Latent of images [N, 3, H, W] in [-1, 1] (sides multiples of 16): mean of the posterior, patchified, standardised. */
    public Tensor encode(Tensor image) {
        int[] s = image.shape();
        int f = config.pixelsPerLatent();
        if (s.length != 4 || s[1] != config.inChannels() || s[2] % f != 0 || s[3] % f != 0 || s[2] == 0 || s[3] == 0)
            throw new IllegalArgumentException("VAE encode takes images [N, " + config.inChannels() + ", H, W] with H and W positive multiples of "
                    + f + ", got " + Arrays.toString(s));
        TensorArena outer = TensorArena.current();
        try (var g = GradMode.off(); var tmp = TensorArena.open("vae-encode")) {
            Tensor moments = encoder.forward(FeatureMap.banded(image, tileBytes)).var().data();
            Tensor mean = moments.narrow(1, 0, config.zChannels());
            return Layouts.pixelUnshuffle(mean, config.patch()).sub(bnMean()).div(bnStd()).copyTo(outer);
        }
    }

    /** Images [N, 3, H, W], nominally in [-1, 1], of latents [N, z*p*p, H/16, W/16]. */
    public Tensor decode(Tensor latent) {
        int[] s = latent.shape();
        if (s.length != 4 || s[1] != config.latentChannels() || s[2] == 0 || s[3] == 0)
            throw new IllegalArgumentException("VAE decode takes latents [N, " + config.latentChannels() + ", h, w], got " + Arrays.toString(s));
        TensorArena outer = TensorArena.current();
        try (var g = GradMode.off(); var tmp = TensorArena.open("vae-decode")) {
            Tensor z = Layouts.pixelShuffle(latent.mul(bnStd()).add(bnMean()), config.patch());
            return decoder.forward(FeatureMap.banded(z, tileBytes)).var().data().copyTo(outer);
        }
    }

    private Tensor bnMean() { return bn.runningMean.value().reshape(1, config.latentChannels(), 1, 1); }

    private Tensor bnStd() { return bn.runningVar.value().add(config.bnEps()).sqrt().reshape(1, config.latentChannels(), 1, 1); }

    /** Unmaps the checkpoint and frees the widened vectors when this autoencoder loaded them itself. */
    @Override
    public void close() {
        if (arena != null) arena.close();
        if (source != null) source.close();
    }
}
