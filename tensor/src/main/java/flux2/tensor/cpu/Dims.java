package flux2.tensor.cpu;

/**
 * A shape shared by several operands, each with its own strides, simplified for iteration: size-1 axes are
 * dropped and neighbouring axes that every operand walks as one run are merged. A contiguous tensor becomes a
 * single axis; a bias expanded over rows keeps a row axis with stride 0 and a contiguous last axis.
 */
final class Dims {
    /** The simplified shape, rank at least 1. */
    final int[] shape;
    /** strides[k] are operand k's strides for {@link #shape}. */
    final long[][] strides;

    private Dims(int[] shape, long[][] strides) {
        this.shape = shape;
        this.strides = strides;
    }

    static Dims of(int[] shape, long[]... operandStrides) {
        int ops = operandStrides.length;
        int r = shape.length;
        int[] outShape = new int[Math.max(r, 1)];
        long[][] outStrides = new long[ops][Math.max(r, 1)];
        int k = 0; // axes written so far, from the end of the output arrays
        for (int d = r - 1; d >= 0; d--) {
            if (shape[d] == 1) continue;
            if (k > 0 && mergeable(shape[d], d, operandStrides, outShape, outStrides, outShape.length - k)) {
                int inner = outShape.length - k;
                outShape[inner] *= shape[d];
                continue;
            }
            k++;
            int at = outShape.length - k;
            outShape[at] = shape[d];
            for (int o = 0; o < ops; o++) outStrides[o][at] = operandStrides[o][d];
        }
        if (k == 0) {
            // A single element: one axis of size 1.
            return new Dims(new int[]{1}, new long[ops][1]);
        }
        int[] s = java.util.Arrays.copyOfRange(outShape, outShape.length - k, outShape.length);
        long[][] st = new long[ops][];
        for (int o = 0; o < ops; o++) st[o] = java.util.Arrays.copyOfRange(outStrides[o], outStrides[o].length - k, outStrides[o].length);
        return new Dims(s, st);
    }

    private static boolean mergeable(int size, int d, long[][] strides, int[] outShape, long[][] outStrides, int inner) {
        if ((long) outShape[inner] * size > Integer.MAX_VALUE) return false;
        for (int o = 0; o < strides.length; o++)
            if (strides[o][d] != outStrides[o][inner] * outShape[inner]) return false;
        return true;
    }

    int rank() { return shape.length; }

    /** Length of the last axis. */
    int rowLength() { return shape[shape.length - 1]; }

    /** Number of rows (product of all axes but the last). */
    long rows() { return Strided.rows(shape); }

    /** Stride of operand k along the last axis. */
    long inner(int k) { return strides[k][shape.length - 1]; }

    /** Number of elements of the shape. */
    long count() { return flux2.tensor.Shapes.numel(shape); }

    /** Element offset (without base) of flat element e for operand k. */
    long offset(int k, long e) { return Strided.offset(shape, strides[k], e); }

    /** Element offset (without base) of row r for operand k. */
    long rowOffset(int k, long r) { return Strided.rowOffset(shape, strides[k], r); }
}
