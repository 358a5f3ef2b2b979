package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions of dense F32 runs. Sums widen every float to double before adding, so a mean over millions of
 * elements keeps double accuracy; maxima stay in float (exact).
 */
final class VecReduce {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DP = VectorSpecies.of(double.class, SP.vectorShape());
    private static final int L = SP.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VecReduce() {}

    private static DoubleVector lo(FloatVector v) { return (DoubleVector) v.convertShape(VectorOperators.F2D, DP, 0); }

    private static DoubleVector hi(FloatVector v) { return (DoubleVector) v.convertShape(VectorOperators.F2D, DP, 1); }

    /** Sum of n floats at byte offset off, in double. */
    static double sum(MemorySegment s, long off, int n) {
        DoubleVector a0 = DoubleVector.zero(DP), a1 = DoubleVector.zero(DP);
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE);
            a0 = a0.add(lo(v));
            a1 = a1.add(hi(v));
        }
        double r = LaneSum.sum(a0.add(a1));
        for (; i < n; i++) r += s.get(F, off + i * 4L);
        return r;
    }

    /** Sum of squares of n floats, in double. */
    static double sumSquares(MemorySegment s, long off, int n) {
        DoubleVector a0 = DoubleVector.zero(DP), a1 = DoubleVector.zero(DP);
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE);
            DoubleVector l = lo(v), h = hi(v);
            a0 = l.fma(l, a0);
            a1 = h.fma(h, a1);
        }
        double r = LaneSum.sum(a0.add(a1));
        for (; i < n; i++) {
            double x = s.get(F, off + i * 4L);
            r += x * x;
        }
        return r;
    }

    /** Sum of (x - mean)^2 over n floats, in double: the second pass of a two-pass variance. */
    static double sumSquaredDeviations(MemorySegment s, long off, int n, double mean) {
        DoubleVector a0 = DoubleVector.zero(DP), a1 = DoubleVector.zero(DP);
        DoubleVector m = DoubleVector.broadcast(DP, mean);
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE);
            DoubleVector l = lo(v).sub(m), h = hi(v).sub(m);
            a0 = l.fma(l, a0);
            a1 = h.fma(h, a1);
        }
        double r = LaneSum.sum(a0.add(a1));
        for (; i < n; i++) {
            double x = s.get(F, off + i * 4L) - mean;
            r += x * x;
        }
        return r;
    }

    /** Maximum of n floats (NaN if any is NaN, like PyTorch); -inf for n = 0. */
    static float max(MemorySegment s, long off, int n) {
        FloatVector acc = FloatVector.broadcast(SP, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) acc = acc.max(FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE));
        float r = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, s.get(F, off + i * 4L));
        return r;
    }

    /** acc[j] += x[j] for j < n, widening to double; acc is a double[]-backed buffer of the caller. */
    static void accumulate(double[] acc, MemorySegment s, long off, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE);
            DoubleVector.fromArray(DP, acc, i).add(lo(v)).intoArray(acc, i);
            DoubleVector.fromArray(DP, acc, i + L / 2).add(hi(v)).intoArray(acc, i + L / 2);
        }
        for (; i < n; i++) acc[i] += s.get(F, off + i * 4L);
    }

    /** acc[j] = max(acc[j], x[j]) for j < n. */
    static void accumulateMax(float[] acc, MemorySegment s, long off, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L)
            FloatVector.fromArray(SP, acc, i).max(FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE)).intoArray(acc, i);
        for (; i < n; i++) acc[i] = Math.max(acc[i], s.get(F, off + i * 4L));
    }
}
