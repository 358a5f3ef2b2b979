package flux2.model.flux2;

import flux2.autograd.GradMode;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * Euler sampling of the rectified flow: for each (t, t_next), v = model(x ++ references) on the target tokens,
 * x += (t_next - t) v. Guidance is the embedded scalar (one forward per step, no classifier-free guidance).
 */
public final class Sampler {
    private final Flux2Transformer model;

    public Sampler(Flux2Transformer model) { this.model = model; }

    /**
     * Denoises noise tokens [B, L, C] with ids [B, L, 4] along {@code timesteps} (see {@link Schedule}); refs and
     * refIds (tokens appended after the target, their outputs dropped) may be null. The result lives in the
     * arena current at the call.
     */
    public Tensor sample(Tensor noise, Tensor ids, Tensor ctx, Tensor ctxIds, Tensor refs, Tensor refIds, double[] timesteps, double guidance) {
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
                    x = x.add(v.mul(timesteps[i + 1] - timesteps[i])).copyTo(outer);
                }
            }
        }
        return x;
    }
}
