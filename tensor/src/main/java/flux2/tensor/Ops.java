package flux2.tensor;

import java.util.Arrays;

/** Allocation and broadcasting around the backend kernels; the eager math of {@link Tensor} goes through here. */
public final class Ops {
    private Ops() {}

    static DType resultType(Tensor a, Tensor b) {
        return a.dtype() == b.dtype() && a.dtype().isFloating() ? a.dtype() : DType.F32;
    }

    public static Tensor unary(UnaryOp op, Tensor x, double p0, double p1) {
        Tensor out = x.newEmpty(x.dtype().isFloating() ? x.dtype() : DType.F32, x.shape());
        x.backend().unary(op, x, p0, p1, out);
        return out;
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        Tensor out = a.newEmpty(resultType(a, b), shape);
        a.backend().binary(op, a.expand(shape), b.expand(shape), out);
        return out;
    }

    /** Reduction over axes (all axes if empty); keepDim keeps them with size 1. */
    public static Tensor reduce(ReduceOp op, Tensor x, boolean keepDim, int... axes) {
        int r = x.rank();
        boolean[] red = new boolean[r];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int a : axes) red[Shapes.axis(a, r)] = true;
        int[] norm = new int[0];
        int[] kept = x.shape();
        for (int i = 0; i < r; i++) if (red[i]) { kept[i] = 1; norm = append(norm, i); }
        if (op == ReduceOp.ARGMAX && norm.length != 1) throw new IllegalArgumentException("argmax takes exactly one axis");
        Tensor out = x.newEmpty(op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, kept);
        x.backend().reduce(op, x, norm, out);
        if (keepDim) return out;
        int[] dropped = new int[r - norm.length];
        for (int i = 0, j = 0; i < r; i++) if (!red[i]) dropped[j++] = kept[i];
        return out.reshape(dropped);
    }

    private static int[] append(int[] a, int v) {
        int[] o = Arrays.copyOf(a, a.length + 1);
        o[a.length] = v;
        return o;
    }

    public static Tensor softmax(Tensor x) {
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().softmax(x, out);
        return out;
    }

    /** a [..., M, K] x b [..., K, N] with broadcast batch axes; b may be a 2-D (possibly transposed BF16) weight. */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2, got " + a + " and " + b);
        int m = a.size(-2), k = a.size(-1), k2 = b.size(-2), n = b.size(-1);
        if (k != k2) throw new IllegalArgumentException("matmul inner sizes differ: " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        int[] ab = Arrays.copyOf(a.shape(), a.rank() - 2);
        int[] bb = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shapes.broadcast(ab, bb);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = a.newEmpty(DType.F32, outShape);
        int[] aShape = Arrays.copyOf(batch, batch.length + 2);
        aShape[batch.length] = m;
        aShape[batch.length + 1] = k;
        Tensor ax = a.expand(aShape);
        Tensor bx = b;
        if (b.rank() != 2 || batch.length != 0) {
            int[] bShape = Arrays.copyOf(batch, batch.length + 2);
            bShape[batch.length] = k;
            bShape[batch.length + 1] = n;
            bx = b.expand(bShape);
        }
        a.backend().matmul(ax, bx, out, false);
        return out;
    }
}
