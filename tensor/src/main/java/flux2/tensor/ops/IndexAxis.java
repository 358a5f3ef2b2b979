package flux2.tensor.ops;

import flux2.tensor.DType;
import flux2.tensor.Shapes;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked form of one gather (index_select) or scatter-add (index_add_) along one axis: the axis, the
 * index values (read once, each within the axis) and the sizes around the axis. Built by {@link #select} or
 * {@link #add} and passed to {@link flux2.tensor.Backend#indexSelect} and {@link flux2.tensor.Backend#indexAdd}.
 *
 * @param axis    the non-negative axis
 * @param indices the index values, in order
 * @param outer   product of the sizes before the axis
 * @param size    size of the axis in the indexed tensor (x, or dst)
 * @param inner   product of the sizes after the axis
 */
public record IndexAxis(int axis, long[] indices, long outer, int size, long inner) {

    public IndexAxis {
        indices = indices.clone();
    }

    /** out = x.index_select(dim, index): out has x's shape with {@link #count} on the axis ({@link #selectedShape}). */
    public static IndexAxis select(Tensor x, int dim, Tensor index) {
        if (x.rank() == 0) throw new IllegalArgumentException("indexSelect: x must have at least one axis, got a scalar");
        return of("indexSelect", x, dim, index);
    }

    /** dst.index_add_(dim, index, src): src has dst's shape with {@link #count} on the axis, both floating point. */
    public static IndexAxis add(Tensor dst, int dim, Tensor index, Tensor src) {
        if (dst.rank() == 0) throw new IllegalArgumentException("indexAdd: dst must have at least one axis, got a scalar");
        if (!dst.dtype().isFloating() || !src.dtype().isFloating())
            throw new IllegalArgumentException("indexAdd: dst and src must be floating point, got " + dst.dtype() + " and " + src.dtype());
        IndexAxis ix = of("indexAdd", dst, dim, index);
        int[] expect = ix.selectedShape(dst);
        if (!Arrays.equals(src.shape(), expect))
            throw new IllegalArgumentException("indexAdd: src has shape " + Arrays.toString(src.shape()) + ", expected "
                    + Arrays.toString(expect) + " for dst " + Arrays.toString(dst.shape()) + " and " + ix.count() + " indices on axis " + ix.axis);
        return ix;
    }

    /** Reads a rank-1 I64 or I32 index and checks every entry against the size of the axis of x. */
    private static IndexAxis of(String op, Tensor x, int dim, Tensor index) {
        int d = Shapes.axis(dim, x.rank());
        if (index.rank() != 1 || (index.dtype() != DType.I64 && index.dtype() != DType.I32))
            throw new IllegalArgumentException(op + ": index must be a rank-1 I64 or I32 tensor, got " + index);
        long[] v = index.toLongArray();
        int size = x.size(d);
        for (int i = 0; i < v.length; i++)
            if (v[i] < 0 || v[i] >= size)
                throw new IllegalArgumentException(op + ": index " + v[i] + " at position " + i + " is out of range for axis "
                        + d + " of size " + size + " (shape " + Arrays.toString(x.shape()) + ")");
        int[] shape = x.shape();
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        return new IndexAxis(d, v, outer, size, inner);
    }

    /** For a caller that brings its own out of a gather from x: checks that it has {@link #selectedShape}. */
    public IndexAxis checkOutput(Tensor x, Tensor out) {
        int[] expect = selectedShape(x);
        if (!Arrays.equals(out.shape(), expect))
            throw new IllegalArgumentException("indexSelect: out has shape " + Arrays.toString(out.shape()) + ", expected "
                    + Arrays.toString(expect) + " for x " + Arrays.toString(x.shape()) + " and " + count() + " indices on axis " + axis);
        return this;
    }

    @Override public long[] indices() { return indices.clone(); }

    /** Number of indices. */
    public int count() { return indices.length; }

    /** Shape of t with {@link #count} on the axis: out of a gather, src of a scatter-add. */
    public int[] selectedShape(Tensor t) {
        int[] s = t.shape();
        s[axis] = indices.length;
        return s;
    }

    @Override public boolean equals(Object o) {
        return o instanceof IndexAxis that && axis == that.axis && Arrays.equals(indices, that.indices)
                && outer == that.outer && size == that.size && inner == that.inner;
    }

    @Override public int hashCode() { return Arrays.hashCode(indices) * 31 + axis; }

    @Override public String toString() { return "IndexAxis[axis " + axis + ", " + indices.length + " indices]"; }
}
