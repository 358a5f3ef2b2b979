package flux2.autograd.optim;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;
import java.util.Collection;

/** Gradient-norm clipping over all parameters together, as torch.nn.utils.clip_grad_norm_. */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of all gradients. */
    public static double globalNorm(Collection<Parameter> params) {
        double sq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            for (float x : g.toFloatArray()) sq += (double) x * x;
        }
        return Math.sqrt(sq);
    }

    /** Scales all gradients by max/(norm + 1e-6) when the norm exceeds max; returns the norm before clipping. */
    public static double clipGlobalNorm(Collection<Parameter> params, double max) {
        if (!(max > 0)) throw new IllegalArgumentException("max_grad_norm must be positive, got " + max);
        double norm = globalNorm(params);
        double coef = max / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g != null) g.copyFrom(g.mul(coef));
            }
        }
        return norm;
    }
}
