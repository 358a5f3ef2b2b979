package flux2.quant;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads rows of a 2-D F32 or BF16 weight (possibly a memory-mapped view) as floats, one row at a time. */
final class WeightRows {
    private final Tensor w;
    private final boolean fast;
    private final short[] halfs;

    WeightRows(Tensor w) {
        if (w.rank() != 2) throw new IllegalArgumentException("a weight to quantize must be 2-D [out, in], got shape " + java.util.Arrays.toString(w.shape()));
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16)
            throw new IllegalArgumentException("a weight to quantize must be F32, BF16 or F16, got " + w.dtype());
        this.w = w;
        this.fast = w.stride(1) == 1 && w.dtype() != DType.F16;
        this.halfs = w.dtype() == DType.BF16 ? new short[w.size(1)] : null;
    }

    /** Copies row r into dst[0, in). */
    void read(int r, float[] dst) {
        int n = w.size(1);
        if (!fast) {
            for (int i = 0; i < n; i++) dst[i] = (float) w.get(r, i);
            return;
        }
        MemorySegment seg = w.segment();
        long off = (w.offset() + (long) r * w.stride(0)) * w.dtype().byteSize();
        if (halfs == null) {
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT_UNALIGNED, off, dst, 0, n);
        } else {
            MemorySegment.copy(seg, ValueLayout.JAVA_SHORT_UNALIGNED, off, halfs, 0, n);
            for (int i = 0; i < n; i++) dst[i] = Float.intBitsToFloat((halfs[i] & 0xffff) << 16);
        }
    }
}
