package flux2.tensor.io;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Finds NaN and infinite values in tensors read from files (weights, adapters) by their exponent bits: all ones
 * in F32, BF16 and F16 alike. The scan reads the tensor's memory in place (a mapped file stays mapped, nothing is
 * copied or converted), in vectors, split across the CPU workers; integer tensors are always finite.
 */
public final class FiniteCheck {
    private FiniteCheck() {}

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int F32_EXPONENT = 0x7F80_0000;
    private static final short BF16_EXPONENT = 0x7F80, F16_EXPONENT = 0x7C00;
    /** Elements per work item: large enough that splitting costs nothing next to reading. */
    private static final long GRAIN = 1 << 16;

    /** Where non-finite values are: how many, and the first (index in row-major order and its value). */
    public record Found(long count, long firstIndex, double firstValue) {}

    /** The non-finite values of {@code t}, or null when every value is finite. */
    public static Found find(Tensor t) {
        if (!t.dtype().isFloating() || t.numel() == 0) return null;
        Tensor c = t.backend() == Backends.cpu() ? t : t.to(Backends.cpu());
        if (!c.isContiguous()) c = c.contiguous();
        DType dt = c.dtype();
        MemorySegment seg = c.segment();
        long base = c.byteOffset(), n = c.numel();
        long[] counts = new long[Parallel.threads()];
        Parallel.forRange(n, GRAIN, (worker, s, e) -> counts[worker] += count(seg, base, dt, s, e));
        long total = 0;
        for (long k : counts) total += k;
        if (total == 0) return null;
        for (long i = 0; i < n; i++) {
            double v = value(seg, base, dt, i);
            if (!Double.isFinite(v)) return new Found(total, i, v);
        }
        throw new AssertionError("counted " + total + " non-finite values but found none");
    }

    /**
     * What is wrong with {@code t} in words ("holds 3 non-finite values (NaN or infinity; the first is NaN at element
     * 12 of 4096)"), or null when every value is finite.
     */
    public static String problem(Tensor t) {
        Found f = find(t);
        return f == null ? null : "holds " + f.count() + " non-finite value" + (f.count() == 1 ? "" : "s")
                + " (NaN or infinity; the first is " + f.firstValue() + " at element " + f.firstIndex() + " of " + t.numel() + ")";
    }

    /** Throws when {@code t} holds NaN or infinity, naming it as {@code what} (the file and the tensor's name). */
    public static void require(Tensor t, String what) {
        String p = problem(t);
        if (p != null) throw new IllegalArgumentException(what + " " + p);
    }

    private static long count(MemorySegment seg, long base, DType dt, long start, long end) {
        return switch (dt) {
            case F32 -> countF32(seg, base, start, end);
            case BF16 -> count16(seg, base, start, end, BF16_EXPONENT);
            case F16 -> count16(seg, base, start, end, F16_EXPONENT);
            default -> 0;
        };
    }

    private static long countF32(MemorySegment seg, long base, long start, long end) {
        long bad = 0, i = start;
        for (long vecEnd = end - INTS.length(); i <= vecEnd; i += INTS.length()) {
            IntVector v = IntVector.fromMemorySegment(INTS, seg, base + 4 * i, ORDER);
            bad += v.and(F32_EXPONENT).compare(VectorOperators.EQ, F32_EXPONENT).trueCount();
        }
        for (; i < end; i++) if ((seg.get(ValueLayout.JAVA_INT_UNALIGNED, base + 4 * i) & F32_EXPONENT) == F32_EXPONENT) bad++;
        return bad;
    }

    /** 16-bit values read two at a time as ints (vector ints compare faster than vector shorts on common CPUs). */
    private static long count16(MemorySegment seg, long base, long start, long end, short exponent) {
        long bad = 0, i = start;
        int low = exponent, high = exponent << 16;
        for (long vecEnd = end - 2L * INTS.length(); i <= vecEnd; i += 2L * INTS.length()) {
            IntVector v = IntVector.fromMemorySegment(INTS, seg, base + 2 * i, ORDER);
            bad += v.and(low).compare(VectorOperators.EQ, low).trueCount() + v.and(high).compare(VectorOperators.EQ, high).trueCount();
        }
        for (; i < end; i++) if ((seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2 * i) & exponent) == exponent) bad++;
        return bad;
    }

    private static double value(MemorySegment seg, long base, DType dt, long i) {
        return switch (dt) {
            case F32 -> seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, base + 4 * i);
            case BF16 -> Half.bf16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2 * i));
            case F16 -> Half.f16ToFloat(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, base + 2 * i));
            default -> 0;
        };
    }
}
