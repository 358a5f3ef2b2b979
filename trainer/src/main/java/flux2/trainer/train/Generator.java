package flux2.trainer.train;

import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.Latents;
import flux2.model.flux2.Sampler;
import flux2.model.flux2.Schedule;
import flux2.model.flux2.TokenIds;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * Text-to-image with the FLUX.2 schedule and Euler sampler: noise from a seeded Rng, denoise (optionally with
 * classifier-free guidance against a negative prompt), decode.
 */
public final class Generator {
    private final Flux2Transformer model;
    private final AutoEncoder vae;

    public Generator(Flux2Transformer model, AutoEncoder vae) {
        this.model = model;
        this.vae = vae;
    }

    /**
     * An image [1, 3, height, width] in [-1, 1] (current arena) for text embeddings ctx [1, L, width], with
     * {@code steps} steps and embedded guidance {@code guidance}. Sides must be multiples of the VAE's pixels per token.
     */
    public Tensor generate(Tensor ctx, int width, int height, int steps, double guidance, Rng noiseRng) {
        return generate(ctx, null, null, width, height, steps, guidance, noiseRng);
    }

    /**
     * As {@link #generate(Tensor, int, int, int, double, Rng)}, conditioned on reference tokens refs [1, Lr, C] with
     * ids refIds [1, Lr, 4] appended after the image's tokens (both null for text-to-image).
     */
    public Tensor generate(Tensor ctx, Tensor refs, Tensor refIds, int width, int height, int steps, double guidance, Rng noiseRng) {
        return generate(ctx, refs, refIds, width, height, steps, guidance, null, noiseRng);
    }

    /**
     * Classifier-free guidance for {@link #generate(Tensor, Tensor, Tensor, int, int, int, double, RealCfg, Rng)}: the
     * negative prompt's embeddings negCtx [1, Ln, width], the scale (validation_guidance_real) and the first step it
     * applies from (validation_no_cfg_until_timestep).
     */
    public record RealCfg(Tensor negCtx, double scale, int fromStep) {}

    /** As {@link #generate(Tensor, Tensor, Tensor, int, int, int, double, Rng)}, with classifier-free guidance unless cfg is null. */
    public Tensor generate(Tensor ctx, Tensor refs, Tensor refIds, int width, int height, int steps, double guidance, RealCfg cfg, Rng noiseRng) {
        int f = vae.config().pixelsPerLatent();
        if (width % f != 0 || height % f != 0 || width <= 0 || height <= 0)
            throw new IllegalArgumentException("image sides must be positive multiples of " + f + ", got " + width + "x" + height);
        int h = height / f, w = width / f, c = model.config.inChannels();
        TensorArena outer = TensorArena.current();
        try (var a = TensorArena.open("generate")) {
            // the transformer may live on a device; the noise and ids go there, the latents come back for the VAE
            Backend device = model.namedParameters().values().iterator().next().value().backend();
            Tensor noise = noiseRng.normal(0, 1, 1, h * w, c).to(device);
            Tensor x = new Sampler(model).sample(noise, TokenIds.image(1, h, w).to(device), ctx.to(device),
                    TokenIds.text(1, ctx.size(1)).to(device), refs == null ? null : refs.to(device),
                    refIds == null ? null : refIds.to(device), Schedule.timesteps(steps, h * w), guidance,
                    cfg == null ? null : new Sampler.Cfg(cfg.negCtx().to(device), TokenIds.text(1, cfg.negCtx().size(1)).to(device), cfg.scale(), cfg.fromStep()));
            return vae.decode(Latents.unpack(x.to(Backends.cpu()), h, w)).copyTo(outer);
        }
    }
}
