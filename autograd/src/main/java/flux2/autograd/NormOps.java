package flux2.autograd;

import flux2.tensor.NN;
import flux2.tensor.Tensor;

/**
 * LayerNorm, RMSNorm, FLUX.2's modulated LayerNorm and GroupNorm. Forwards use the fused kernels; backwards
 * recompute the row statistics from x (cheap next to the matmuls around them) instead of keeping them, the
 * row norms' in one fused backward op.
 */
final class NormOps {
    private NormOps() {}

    static Var layerNorm(Var x, Var w, Var b, double eps) {
        Tensor out = NN.layerNorm(x.data(), w == null ? null : w.data(), b == null ? null : b.data(), eps);
        return Var.result(out, new LayerNorm(x, w, b, eps));
    }

    static Var rmsNorm(Var x, Var w, double eps) {
        return Var.result(NN.rmsNorm(x.data(), w == null ? null : w.data(), eps), new RmsNorm(x, w, eps));
    }

    static Var modulatedLayerNorm(Var x, Var shift, Var scale, double eps) {
        return Var.result(NN.modulatedLayerNorm(x.data(), shift.data(), scale.data(), eps), new ModulatedLayerNorm(x, shift, scale, eps));
    }

    static Var groupNorm(Var x, int groups, Var w, Var b, double eps) {
        Tensor out = NN.groupNorm(x.data(), groups, w == null ? null : w.data(), b == null ? null : b.data(), eps);
        return Var.result(out, new GroupNorm(x, groups, w, b, eps));
    }

    /** Gradient of xhat = (x - mean) * rstd (or x * rstd without centering) over the last axis, given gxhat. */
    static Tensor normBackward(Tensor xhat, Tensor rstd, Tensor gxhat, boolean centered) {
        Tensor proj = xhat.mul(gxhat.mul(xhat).meanKeepDim(-1));
        Tensor d = gxhat.sub(proj);
        if (centered) d = d.sub(gxhat.meanKeepDim(-1));
        return d.mul(rstd);
    }

    /** Sums g over all axes but the last, giving a [C] gradient for a per-channel weight. */
    static Tensor sumLeading(Tensor g) {
        return g.reshape(-1, g.size(-1)).sum(0);
    }

    static final class LayerNorm extends Node {
        private final double eps;

        LayerNorm(Var x, Var w, Var b, double eps) {
            super(x, w, b);
            this.eps = eps;
        }

        @Override protected Tensor[] backward(Tensor g) {
            return NN.layerNormBackward(inputs[0].data(), inputs[1] == null ? null : inputs[1].data(), g, eps, needs(0), needs(1), needs(2));
        }
    }

    static final class RmsNorm extends Node {
        private final double eps;

        RmsNorm(Var x, Var w, double eps) {
            super(x, w);
            this.eps = eps;
        }

        @Override protected Tensor[] backward(Tensor g) {
            return NN.rmsNormBackward(inputs[0].data(), inputs[1] == null ? null : inputs[1].data(), g, eps, needs(0), needs(1));
        }
    }

    /** (1 + scale) * LN(x) + shift; inputs x, shift, scale. */
    static final class ModulatedLayerNorm extends Node {
        private final double eps;

        ModulatedLayerNorm(Var x, Var shift, Var scale, double eps) {
            super(x, shift, scale);
            this.eps = eps;
        }

        @Override protected Tensor[] backward(Tensor g) {
            return NN.modulatedLayerNormBackward(inputs[0].data(), inputs[2].data(), g, eps, needs(0), needs(1), needs(2));
        }
    }

    static final class GroupNorm extends Node {
        private final int groups;
        private final double eps;

        GroupNorm(Var x, int groups, Var w, Var b, double eps) {
            super(x, w, b);
            this.groups = groups;
            this.eps = eps;
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = inputs[0].data();
            int[] shape = x.shape();
            int n = shape[0], c = shape[1];
            int[] chanShape = new int[shape.length];
            java.util.Arrays.fill(chanShape, 1);
            chanShape[1] = c;
            Tensor xg = x.reshape(n, groups, -1);
            Tensor centered = xg.sub(xg.meanKeepDim(-1));
            Tensor rstd = centered.square().meanKeepDim(-1).add(eps).rsqrt();
            Tensor xhat = centered.mul(rstd).reshape(shape);
            Tensor gxhat = inputs[1] == null ? g : g.mul(inputs[1].data().reshape(chanShape));
            Tensor dx = needs(0) ? normBackward(xhat.reshape(n, groups, -1), rstd, gxhat.reshape(n, groups, -1), true).reshape(shape) : null;
            int[] notChannel = new int[shape.length - 1];
            for (int i = 0, j = 0; i < shape.length; i++) if (i != 1) notChannel[j++] = i;
            return new Tensor[]{dx,
                                needs(1) ? g.mul(xhat).sum(notChannel) : null,
                                needs(2) ? g.sum(notChannel) : null};
        }
    }
}
