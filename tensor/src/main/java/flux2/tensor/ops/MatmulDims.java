package flux2.tensor.ops;

import flux2.tensor.DType;
import flux2.tensor.Shapes;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of one matrix product a [..., m, k] x b [..., k, n] -> out [batch..., m, n], batch the
 * broadcast of a's and b's leading axes. a is F32, b F32 or BF16. Built by {@link #of} and passed, with a and b
 * expanded to {@link #aShape} and {@link #bShape}, to {@link flux2.tensor.Backend#matmul}; a 2-D b stays 2-D
 * when there are no batch axes (a Linear weight, perhaps a transposed view).
 */
public record MatmulDims(int[] batch, int m, int n, int k) {

    public MatmulDims {
        batch = batch.clone();
    }

    /** Checks ranks (2 or more), the inner sizes, dtypes and that the batch axes broadcast. */
    public static MatmulDims of(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) throw new IllegalArgumentException("matmul needs rank >= 2, got " + a + " and " + b);
        if (a.dtype() != DType.F32) throw new IllegalArgumentException("matmul: a must be F32, got " + a.dtype());
        if (b.dtype() != DType.F32 && b.dtype() != DType.BF16)
            throw new IllegalArgumentException("matmul: b must be F32 or BF16, got " + b.dtype());
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        if (b.size(-2) != k)
            throw new IllegalArgumentException("matmul inner sizes differ: " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        int[] batch = Shapes.broadcast(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(b.shape(), b.rank() - 2));
        return new MatmulDims(batch, m, n, k);
    }

    @Override public int[] batch() { return batch.clone(); }

    /** [batch..., m, n]. */
    public int[] outShape() { return withLast(m, n); }

    /** [batch..., m, k]: a as the backend reads it. */
    public int[] aShape() { return withLast(m, k); }

    /** [batch..., k, n], or [k, n] for a 2-D b without batch axes. */
    public int[] bShape() { return withLast(k, n); }

    private int[] withLast(int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }

    @Override public boolean equals(Object o) {
        return o instanceof MatmulDims that && Arrays.equals(batch, that.batch) && m == that.m && n == that.n && k == that.k;
    }

    @Override public int hashCode() { return Arrays.hashCode(batch) * 31 + ((m * 31 + n) * 31 + k); }

    @Override public String toString() { return "MatmulDims[batch " + Arrays.toString(batch) + ", m " + m + ", n " + n + ", k " + k + "]"; }
}
