package flux2.tensor.cpu;

/** Index arithmetic for strided tensors: offsets of rows (all axes but the last) from a flat row number. */
public final class Strided {
    private Strided() {}

    /** Number of rows: the product of all axes but the last (1 for rank 0 or 1). */
    public static long rows(int[] shape) {
        long r = 1;
        for (int i = 0; i < shape.length - 1; i++) r *= shape[i];
        return r;
    }

    /** Length of a row: the last axis (1 for rank 0). */
    public static int rowLength(int[] shape) {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    /** Element offset (without the tensor's base offset) of row {@code row} in row-major order. */
    public static long rowOffset(int[] shape, long[] strides, long row) {
        long off = 0;
        for (int i = shape.length - 2; i >= 0; i--) {
            int d = shape[i];
            off += (row % d) * strides[i];
            row /= d;
        }
        return off;
    }

    /** Element offset of flat element index e (row-major over shape). */
    public static long offset(int[] shape, long[] strides, long e) {
        long off = 0;
        for (int i = shape.length - 1; i >= 0; i--) {
            int d = shape[i];
            off += (e % d) * strides[i];
            e /= d;
        }
        return off;
    }

    /** The multi-index of flat row-major element e of shape. */
    public static int[] unravel(int[] shape, long e) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = (int) (e % shape[d]);
            e /= shape[d];
        }
        return idx;
    }
}
