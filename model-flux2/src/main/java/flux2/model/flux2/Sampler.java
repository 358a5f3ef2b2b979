package flux2.model.flux2;

import flux2.autograd.GradMode;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * Euler sampling of the rectified flow: for each (t, t_next), v = model(x ++ references) on the target tokens,
 * x += (t_next - t) v. Guidance is the embedded scalar; with a {@link Cfg} the velocity of a negative prompt is
 * also computed and v = v_neg + scale (v - v_neg) (classifier-free guidance, two forwards per step).
 */
public final class Sampler {
    private final Flux2Transformer model;

    /**
     * Classifier-free guidance: the negative prompt's embeddings negCtx [B, Ln, width] with ids [B, Ln, 4], the
     * scale, and the first step index it applies from (earlier steps use the prompt alone).
     */
    public record Cfg(Tensor negCtx, Tensor negCtxIds, double scale, int fromStep) {}

    public Sampler(Flux2Transformer model) { this.model = model; }

    /** As {@link #sample(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, double[], double, Cfg)} without classifier-free guidance. */
    public Tensor sample(Tensor noise, Tensor ids, Tensor ctx, Tensor ctxIds, Tensor refs, Tensor refIds, double[] timesteps, double guidance) {
        return sample(noise, ids, ctx, ctxIds, refs, refIds, timesteps, guidance, null);
    }

    /**
     * Denoises noise tokens [B, L, C] with ids [B, L, 4] along {@code timesteps} (see {@link Schedule}); refs and
     * refIds (tokens appended after the target, their outputs dropped) may be null, and so may cfg. The result lives
     * in the arena current at the call.
     */
    public Tensor sample(Tensor noise, Tensor ids, Tensor ctx, Tensor ctxIds, Tensor refs, Tensor refIds, double[] timesteps,
                         double guidance, Cfg cfg) {
        int b = noise.size(0), l = noise.size(1);
        Tensor allIds = refs == null ? ids : Layouts.concat(1, ids, refIds);
        Tensor g = Tensor.full(flux2.tensor.DType.F32, guidance, b).to(noise.backend());
        Tensor x = noise.contiguous();
        TensorArena outer = TensorArena.current();
        try (GradMode.Scope off = GradMode.off()) {
            for (int i = 0; i + 1 < timesteps.length; i++) {
                try (TensorArena step = TensorArena.open("sample-step")) {
                    Tensor in = refs == null ? x : Layouts.concat(1, x, refs);
                    Tensor t = Tensor.full(flux2.tensor.DType.F32, timesteps[i], b).to(noise.backend());
                    Tensor v = model.forward(in, allIds, ctx, ctxIds, t, g).narrow(1, 0, l);
                    if (cfg != null && i >= cfg.fromStep()) {
                        Tensor vNeg = model.forward(in, allIds, cfg.negCtx(), cfg.negCtxIds(), t, g).narrow(1, 0, l);
                        v = vNeg.add(v.sub(vNeg).mul(cfg.scale()));
                    }
                    x = x.add(v.mul(timesteps[i + 1] - timesteps[i])).copyTo(outer);
                }
            }
        }
        return x;
    }
}
