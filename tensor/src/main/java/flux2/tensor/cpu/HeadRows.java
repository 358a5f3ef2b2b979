package flux2.tensor.cpu;

import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Row access to an F32 tensor [B, H, L, W] whose last axis has stride 1 (the other strides are free, so
 * permuted and narrowed views are read in place): copies blocks of rows to and from heap scratch.
 */
final class HeadRows {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment seg;
    private final long base, sb, sh, sl;
    final int width;

    HeadRows(Tensor t) {
        seg = t.segment();
        base = t.offset();
        sb = t.stride(0);
        sh = t.stride(1);
        sl = t.stride(2);
        width = t.size(3);
    }

    private long byteOffset(int b, int h, int l) { return (base + b * sb + h * sh + l * sl) * Float.BYTES; }

    /** dst[r*ld + x] = row(l0 + r)[x] for r < n, x < width. */
    void load(int b, int h, int l0, int n, float[] dst, int ld) {
        for (int r = 0; r < n; r++) MemorySegment.copy(seg, F, byteOffset(b, h, l0 + r), dst, r * ld, width);
    }

    /**
     * dst[x*ld + r] = scale * row(l0 + r)[x] for r < n, and 0 for n <= r < nPad; {@code row} is a temporary
     * of at least {@link #width} floats.
     */
    void loadTransposed(int b, int h, int l0, int n, int nPad, float[] dst, int ld, float scale, float[] row) {
        for (int r = 0; r < n; r++) {
            MemorySegment.copy(seg, F, byteOffset(b, h, l0 + r), row, 0, width);
            for (int x = 0, o = r; x < width; x++, o += ld) dst[o] = row[x] * scale;
        }
        if (nPad > n) for (int x = 0; x < width; x++) Arrays.fill(dst, x * ld + n, x * ld + nPad, 0f);
    }

    /** row(l0 + r)[x] = src[r*ld + x] for r < n, x < width. */
    void store(int b, int h, int l0, int n, float[] src, int ld) {
        for (int r = 0; r < n; r++) MemorySegment.copy(src, r * ld, seg, F, byteOffset(b, h, l0 + r), width);
    }

    /** Sets rows [0, len) of (b, h) to zero. */
    void zero(int b, int h, int len, float[] zeros) {
        for (int r = 0; r < len; r++) MemorySegment.copy(zeros, 0, seg, F, byteOffset(b, h, r), width);
    }
}
