package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;

/**
 * Per-thread heap buffers that kernels use to hold converted or gathered rows as F32. They are byte[]-backed
 * because the Vector API loads from heap segments only when a byte array backs them.
 */
final class Scratch {
    /** Independent buffers per thread, so a kernel can hold several operands at once. */
    static final int SLOTS = 6;

    private static final ThreadLocal<MemorySegment[]> BUFFERS = ThreadLocal.withInitial(() -> new MemorySegment[SLOTS]);

    private Scratch() {}

    /** A buffer of at least {@code floats} floats in slot {@code slot} of the calling thread. */
    static MemorySegment floats(int slot, long floats) {
        MemorySegment[] b = BUFFERS.get();
        long bytes = floats * 4;
        MemorySegment s = b[slot];
        if (s == null || s.byteSize() < bytes) {
            long grown = Math.max(bytes, s == null ? 4096 : Math.min(Integer.MAX_VALUE - 8, s.byteSize() * 2));
            if (grown > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("row of " + floats + " floats is too long for a scratch buffer");
            s = MemorySegment.ofArray(new byte[(int) grown]);
            b[slot] = s;
        }
        return s;
    }
}
