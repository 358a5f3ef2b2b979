package flux2.tensor.cpu;

import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A [B, Lk] BOOL/U8 key mask (nonzero = attend) with any strides, read one block of keys at a time. */
final class KeyMaskView {
    private final MemorySegment seg;
    private final long base, sb, sk;

    KeyMaskView(Tensor mask) {
        seg = mask.segment();
        base = mask.offset();
        sb = mask.stride(0);
        sk = mask.stride(1);
    }

    /** keep[j] = whether key k0 + j of batch b is attended, for j < n; returns whether any is. */
    boolean load(int b, int k0, int n, boolean[] keep) {
        boolean any = false;
        long o = base + b * sb + k0 * sk;
        for (int j = 0; j < n; j++, o += sk) {
            boolean on = seg.get(ValueLayout.JAVA_BYTE, o) != 0;
            keep[j] = on;
            any |= on;
        }
        return any;
    }
}
