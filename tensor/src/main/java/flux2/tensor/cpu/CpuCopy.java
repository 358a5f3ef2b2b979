package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Strided copies with dtype conversion, and fills. */
final class CpuCopy {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

    private CpuCopy() {}

    static void copy(Tensor src, Tensor dst) {
        int[] shape = dst.shape();
        if (src.dtype().isPacked() || dst.dtype().isPacked()) {
            packedCopy(src, dst);
            return;
        }
        if (src.numel() == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            MemorySegment.copy(src.segment(), src.byteOffset(), dst.segment(), dst.byteOffset(), src.dtype().bytesFor(src.numel()));
            return;
        }
        long rows = Strided.rows(shape);
        int n = Strided.rowLength(shape);
        long[] ss = src.strides(), ds = dst.strides();
        long sInner = shape.length == 0 ? 1 : ss[shape.length - 1];
        long dInner = shape.length == 0 ? 1 : ds[shape.length - 1];
        MemorySegment sm = src.segment(), dm = dst.segment();
        DType st = src.dtype(), dt = dst.dtype();
        Parallel.forRange(rows, Math.max(1, 16384 / Math.max(n, 1)), (w, r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long so = src.offset() + Strided.rowOffset(shape, ss, r);
                long dOff = dst.offset() + Strided.rowOffset(shape, ds, r);
                copyRow(sm, st, so, sInner, dm, dt, dOff, dInner, n);
            }
        });
    }

    private static void copyRow(MemorySegment sm, DType st, long so, long ss, MemorySegment dm, DType dt, long dOff, long ds, int n) {
        if (st == dt && ss == 1 && ds == 1) {
            long b = st.byteSize();
            MemorySegment.copy(sm, so * b, dm, dOff * b, n * b);
            return;
        }
        if (st == DType.F32 && dt == DType.F32) {
            for (int i = 0; i < n; i++) dm.set(F, (dOff + i * ds) * 4, sm.get(F, (so + i * ss) * 4));
            return;
        }
        if (st == DType.BF16 && dt == DType.F32) {
            for (int i = 0; i < n; i++) dm.set(F, (dOff + i * ds) * 4, Half.bf16ToFloat(sm.get(S, (so + i * ss) * 2)));
            return;
        }
        if (st == DType.F32 && dt == DType.BF16) {
            for (int i = 0; i < n; i++) dm.set(S, (dOff + i * ds) * 2, Half.floatToBf16(sm.get(F, (so + i * ss) * 4)));
            return;
        }
        if (isIntegral(st) && isIntegral(dt)) {
            for (int i = 0; i < n; i++) writeLong(dm, dt, dOff + i * ds, readLong(sm, st, so + i * ss));
            return;
        }
        for (int i = 0; i < n; i++) writeDouble(dm, dt, dOff + i * ds, readDouble(sm, st, so + i * ss));
    }

    private static boolean isIntegral(DType t) { return !t.isFloating(); }

    static double readDouble(MemorySegment m, DType t, long e) {
        return switch (t) {
            case F32 -> m.get(F, e * 4);
            case BF16 -> Half.bf16ToFloat(m.get(S, e * 2));
            case F16 -> Half.f16ToFloat(m.get(S, e * 2));
            default -> readLong(m, t, e);
        };
    }

    static long readLong(MemorySegment m, DType t, long e) {
        return switch (t) {
            case I64 -> m.get(L, e * 8);
            case I32 -> m.get(I, e * 4);
            case I8 -> m.get(B, e);
            case U8 -> m.get(B, e) & 0xff;
            case BOOL -> m.get(B, e) != 0 ? 1 : 0;
            case F32, BF16, F16 -> (long) readDouble(m, t, e);
            case I4 -> throw new IllegalArgumentException("packed I4 needs packedCopy");
        };
    }

    static void writeDouble(MemorySegment m, DType t, long e, double v) {
        switch (t) {
            case F32 -> m.set(F, e * 4, (float) v);
            case BF16 -> m.set(S, e * 2, Half.floatToBf16((float) v));
            case F16 -> m.set(S, e * 2, Half.floatToF16((float) v));
            case BOOL -> m.set(B, e, (byte) (v != 0 ? 1 : 0));
            default -> writeLong(m, t, e, (long) v);
        }
    }

    static void writeLong(MemorySegment m, DType t, long e, long v) {
        switch (t) {
            case I64 -> m.set(L, e * 8, v);
            case I32 -> m.set(I, e * 4, (int) v);
            case I8, U8 -> m.set(B, e, (byte) v);
            case BOOL -> m.set(B, e, (byte) (v != 0 ? 1 : 0));
            case F32, BF16, F16 -> writeDouble(m, t, e, v);
            case I4 -> throw new IllegalArgumentException("packed I4 needs packedCopy");
        }
    }

    private static void packedCopy(Tensor src, Tensor dst) {
        if (!src.isContiguous() || !dst.isContiguous())
            throw new IllegalArgumentException("packed I4 tensors are copied only when contiguous");
        long n = src.numel();
        if (src.dtype() == dst.dtype()) {
            if ((src.offset() & 1) == 0 && (dst.offset() & 1) == 0 && (n & 1) == 0) {
                MemorySegment.copy(src.segment(), src.offset() / 2, dst.segment(), dst.offset() / 2, n / 2);
                return;
            }
        }
        for (long i = 0; i < n; i++) dst.set(src.get(Strided.unravel(src.shape(), i)), Strided.unravel(dst.shape(), i));
    }


    static void fill(Tensor dst, double value) {
        if (dst.numel() == 0) return;
        if (dst.isContiguous() && value == 0 && !dst.dtype().isPacked()) {
            dst.segment().asSlice(dst.byteOffset(), dst.dtype().bytesFor(dst.numel())).fill((byte) 0);
            return;
        }
        int[] shape = dst.shape();
        long[] ds = dst.strides();
        if (dst.dtype().isPacked()) {
            for (long i = 0; i < dst.numel(); i++) dst.set(value, Strided.unravel(shape, i));
            return;
        }
        long rows = Strided.rows(shape);
        int n = Strided.rowLength(shape);
        long inner = shape.length == 0 ? 1 : ds[shape.length - 1];
        MemorySegment m = dst.segment();
        DType t = dst.dtype();
        Parallel.forRange(rows, Math.max(1, 16384 / Math.max(n, 1)), (w, r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long o = dst.offset() + Strided.rowOffset(shape, ds, r);
                if (t == DType.F32) for (int i = 0; i < n; i++) m.set(F, (o + i * inner) * 4, (float) value);
                else for (int i = 0; i < n; i++) writeDouble(m, t, o + i * inner, value);
            }
        });
    }
}
