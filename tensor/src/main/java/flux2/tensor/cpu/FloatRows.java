package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Moves runs of elements between tensors of any dtype and stride and dense F32 buffers, so that the kernels
 * can work on contiguous F32 only.
 */
final class FloatRows {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(FS.length() * 16));
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, FS.vectorShape());

    private FloatRows() {}

    /** True when a run of this dtype and stride can be read or written in place as F32. */
    static boolean direct(DType dt, long stride) {
        return dt == DType.F32 && stride == 1;
    }

    /** Reads n elements starting at element index {@code elem} with stride {@code stride} into dst[0..n) as F32. */
    static void gather(MemorySegment src, DType dt, long elem, long stride, int n, MemorySegment dst) {
        switch (dt) {
            case F32 -> {
                if (stride == 1) MemorySegment.copy(src, elem * 4, dst, 0, n * 4L);
                else for (int i = 0; i < n; i++) dst.set(F, i * 4L, src.get(F, (elem + i * stride) * 4));
            }
            case BF16 -> {
                int i = stride == 1 ? widenBf16(src, elem, n, dst) : 0;
                for (; i < n; i++) dst.set(F, i * 4L, Half.bf16ToFloat(src.get(S, (elem + i * stride) * 2)));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(F, i * 4L, Half.f16ToFloat(src.get(S, (elem + i * stride) * 2)));
            }
            default -> {
                for (int i = 0; i < n; i++) dst.set(F, i * 4L, (float) CpuCopy.readDouble(src, dt, elem + i * stride));
            }
        }
    }

    /** BF16 is the upper half of an F32: widen and shift, a vector at a time. Returns the elements done. */
    private static int widenBf16(MemorySegment src, long elem, int n, MemorySegment dst) {
        int i = 0;
        for (int up = FS.loopBound(n); i < up; i += FS.length()) {
            ShortVector s = ShortVector.fromMemorySegment(SS, src, (elem + i) * 2, LE);
            IntVector w = (IntVector) s.convertShape(VectorOperators.S2I, IS, 0);
            w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(dst, i * 4L, LE);
        }
        return i;
    }

    /** Writes src[0..n) (F32) to n elements of dst starting at element {@code elem} with stride {@code stride}. */
    static void scatter(MemorySegment src, MemorySegment dst, DType dt, long elem, long stride, int n) {
        switch (dt) {
            case F32 -> {
                if (stride == 1) MemorySegment.copy(src, 0, dst, elem * 4, n * 4L);
                else for (int i = 0; i < n; i++) dst.set(F, (elem + i * stride) * 4, src.get(F, i * 4L));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(S, (elem + i * stride) * 2, Half.floatToBf16(src.get(F, i * 4L)));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(S, (elem + i * stride) * 2, Half.floatToF16(src.get(F, i * 4L)));
            }
            default -> {
                for (int i = 0; i < n; i++) CpuCopy.writeDouble(dst, dt, elem + i * stride, src.get(F, i * 4L));
            }
        }
    }

    /** One element as a float. */
    static float read(MemorySegment src, DType dt, long elem) {
        return dt == DType.F32 ? src.get(F, elem * 4) : (float) CpuCopy.readDouble(src, dt, elem);
    }

    /**
     * A rank-1 tensor (a norm's weight or bias) as a dense F32 segment: the tensor's own memory when it is
     * contiguous F32, else a converted heap copy shared by all threads.
     */
    static MemorySegment vector(Tensor t, int expectedLength) {
        if (direct(t.dtype(), t.stride(0))) return t.segment().asSlice(t.offset() * 4, expectedLength * 4L);
        MemorySegment m = MemorySegment.ofArray(new byte[expectedLength * 4]);
        gather(t.segment(), t.dtype(), t.offset(), t.stride(0), expectedLength, m);
        return m;
    }
}
