package flux2.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector helpers of the quantizers: extremes of a range and q = clamp(rint(w / s) + z) as bytes. */
final class Rounding {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer (ties to even). */
    private static final float MAGIC = 12582912f;

    private Rounding() {}

    static float absMax(float[] w, int off, int n) {
        FloatVector m = FloatVector.zero(S);
        int i = 0;
        for (; i + 8 <= n; i += 8) m = m.max(FloatVector.fromArray(S, w, off + i).abs());
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, Math.abs(w[off + i]));
        return r;
    }

    static float min(float[] w, int off, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        int i = 0;
        for (; i + 8 <= n; i += 8) m = m.min(FloatVector.fromArray(S, w, off + i));
        float r = m.reduceLanes(VectorOperators.MIN);
        for (; i < n; i++) r = Math.min(r, w[off + i]);
        return r;
    }

    static float max(float[] w, int off, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + 8 <= n; i += 8) m = m.max(FloatVector.fromArray(S, w, off + i));
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, w[off + i]);
        return r;
    }

    /**
     * q[qo + t] = clamp(rint(w[off + t] / s) + z, lo, hi) for t < n; all zeros when s is 0. Division (not a
     * reciprocal) keeps the rounding error within half a step.
     */
    static void quantize(float[] w, int off, int n, float s, float z, int lo, int hi, byte[] q, int qo) {
        if (s == 0) {
            java.util.Arrays.fill(q, qo, qo + n, (byte) 0);
            return;
        }
        FloatVector sv = FloatVector.broadcast(S, s), zv = FloatVector.broadcast(S, z), magic = FloatVector.broadcast(S, MAGIC);
        FloatVector lov = FloatVector.broadcast(S, lo), hiv = FloatVector.broadcast(S, hi);
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            FloatVector v = FloatVector.fromArray(S, w, off + i).div(sv).add(magic).sub(magic).add(zv).max(lov).min(hiv);
            ((ByteVector) v.convertShape(VectorOperators.F2B, ByteVector.SPECIES_64, 0)).intoArray(q, qo + i);
        }
        for (; i < n; i++) q[qo + i] = (byte) Math.max(lo, Math.min(hi, Math.rint(w[off + i] / s) + z));
    }
}
