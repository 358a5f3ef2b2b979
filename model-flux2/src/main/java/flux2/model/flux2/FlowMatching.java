package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.Tensor;

/** The rectified-flow training objective: x_t = (1 - t) x0 + t noise, target noise - x0, MSE. */
public final class FlowMatching {
    private FlowMatching() {}

    /** x_t for x0, noise [B, L, C] and t [B]. */
    public static Tensor noisy(Tensor x0, Tensor noise, Tensor t) {
        Tensor tb = t.reshape(t.size(0), 1, 1);
        return x0.mul(tb.neg().add(1)).add(noise.mul(tb));
    }

    public static Tensor target(Tensor x0, Tensor noise) { return noise.sub(x0); }

    /**
     * The mean squared error of the model's velocity for x_t against target on the target tokens; reference
     * tokens (refs, refIds, may be null) are appended to the input and their outputs dropped.
     */
    public static Var loss(Flux2Transformer model, Tensor xt, Tensor ids, Tensor refs, Tensor refIds, Tensor ctx, Tensor ctxIds,
                           Tensor t, Tensor guidance, Tensor target) {
        return loss(model, xt, ids, refs, refIds, ctx, ctxIds, t, guidance, target, null);
    }

    /**
     * The loss of a training step with TREAD routing when {@code router} is not null. Reference tokens are clean (not
     * noised) and share the sample's timestep, as in the official pipelines.
     */
    public static Var loss(Flux2Transformer model, Tensor xt, Tensor ids, Tensor refs, Tensor refIds, Tensor ctx, Tensor ctxIds,
                           Tensor t, Tensor guidance, Tensor target, TreadRouter router) {
        return F.mseLoss(predict(model, xt, ids, refs, refIds, ctx, ctxIds, t, guidance, router), Var.constant(target));
    }

    /** The model's velocity on the target tokens of x_t. */
    public static Var predict(Flux2Transformer model, Tensor xt, Tensor ids, Tensor refs, Tensor refIds, Tensor ctx, Tensor ctxIds,
                              Tensor t, Tensor guidance) {
        return predict(model, xt, ids, refs, refIds, ctx, ctxIds, t, guidance, null);
    }

    /** The velocity on the target tokens, with TREAD routing when {@code router} is not null (training only). */
    public static Var predict(Flux2Transformer model, Tensor xt, Tensor ids, Tensor refs, Tensor refIds, Tensor ctx, Tensor ctxIds,
                              Tensor t, Tensor guidance, TreadRouter router) {
        Tensor in = refs == null ? xt : flux2.tensor.Layouts.concat(1, xt, refs);
        Tensor allIds = refs == null ? ids : flux2.tensor.Layouts.concat(1, ids, refIds);
        Var v = model.forward(Var.constant(in), allIds, Var.constant(ctx), ctxIds, t, guidance, router);
        return refs == null ? v : v.narrow(1, 0, xt.size(1));
    }
}
