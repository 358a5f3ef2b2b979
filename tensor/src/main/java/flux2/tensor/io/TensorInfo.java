package flux2.tensor.io;

import flux2.tensor.DType;
import java.util.Arrays;

/**
 * What a safetensors header says about one tensor: its dtype, shape and byte range within the data section
 * (which starts right after the header). Validated: {@code end - begin == numel * dtype size}.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    /** Number of elements (the header was checked so that this does not overflow). */
    public long numel() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of data: {@code end - begin}. */
    public long byteSize() { return end - begin; }

    /** The shape as ints for {@link flux2.tensor.Tensor}, or null when a dimension does not fit an int. */
    int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) return null;
            s[i] = (int) shape[i];
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() { return name + " " + dtype.safetensorsName() + " " + Arrays.toString(shape); }
}
