package flux2.autograd;

import flux2.tensor.Tensor;

/** Sum, mean and max over axes. */
final class Reductions {
    private Reductions() {}

    static Var sum(Var x, boolean keepDim, int... axes) {
        return Var.result(keepDim ? x.data().sumKeepDim(axes) : x.data().sum(axes), new Sum(x, axes, 1));
    }

    static Var mean(Var x, boolean keepDim, int... axes) {
        Tensor out = keepDim ? x.data().meanKeepDim(axes) : x.data().mean(axes);
        return Var.result(out, new Sum(x, axes, (double) out.numel() / x.data().numel()));
    }

    /** Max over axes; the gradient is shared equally among tied maxima (as torch.amax). */
    static Var max(Var x, boolean keepDim, int... axes) {
        Tensor m = maxKeep(x.data(), axes);
        Tensor out = keepDim ? m : x.data().max(axes);
        return Var.result(out, new Max(x, m));
    }

    private static Tensor maxKeep(Tensor x, int[] axes) {
        Tensor m = x.max(axes);
        return m.reshape(keptShape(x.shape(), axes));
    }

    static int[] keptShape(int[] shape, int[] axes) {
        int[] k = shape.clone();
        if (axes.length == 0) java.util.Arrays.fill(k, 1);
        for (int a : axes) k[a < 0 ? a + shape.length : a] = 1;
        return k;
    }

    /** Sum and mean: the gradient is broadcast back, times {@code scale}. */
    static final class Sum extends Node {
        private final int[] axes;
        private final double scale;

        Sum(Var x, int[] axes, double scale) {
            super(x);
            this.axes = axes.clone();
            this.scale = scale;
        }

        @Override protected Tensor[] backward(Tensor g) {
            int[] in = inputs[0].shape();
            Tensor e = g.reshape(keptShape(in, axes)).expand(in);
            return new Tensor[]{scale == 1 ? e.contiguous() : e.mul(scale)};
        }
    }

    static final class Max extends Node {
        private Tensor maxKept;

        Max(Var x, Tensor maxKept) {
            super(x);
            this.maxKept = maxKept;
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = inputs[0].data();
            // 1 where x equals the maximum, 0 elsewhere
            Tensor hit = x.sub(maxKept).sign().abs().neg().add(1);
            Tensor count = hit.sumKeepDim(axesOf(x.rank(), maxKept.shape(), x.shape()));
            return new Tensor[]{hit.div(count).mul(g.reshape(maxKept.shape()))};
        }

        private static int[] axesOf(int rank, int[] kept, int[] full) {
            int[] a = new int[rank];
            int n = 0;
            for (int i = 0; i < rank; i++) if (kept[i] == 1 && full[i] != 1) a[n++] = i;
            return java.util.Arrays.copyOf(a, n);
        }

        @Override protected void release() { maxKept = null; }
    }
}
