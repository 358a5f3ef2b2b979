package flux2.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log and tanh in float from plain IEEE arithmetic (Cephes' range reductions and polynomials), in a
 * vector form and a scalar form that performs the same operations in the same order.
 *
 * <p>Why not the Vector API's lanewise EXP/LOG/TANH: their results differ in the last bit between the
 * interpreted and the compiled code, so a kernel's output would change as the JIT warms up. Results here are
 * the same in every tier, on every lane and in every tail loop, which keeps runs reproducible and makes
 * recomputation (gradient checkpointing) exact.
 */
final class ExpLog {
    static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting rounds to an integer
    private static final float EXP_MIN = -104f, EXP_MAX = 89f;
    private static final float E5 = 1.9875691500e-4f, E4 = 1.3981999507e-3f, E3 = 8.3334519073e-3f,
            E2 = 4.1665795894e-2f, E1 = 1.6666665459e-1f, E0 = 5.0000001201e-1f;
    private static final float SQRTHF = 0.707106781186547524f;
    private static final float L8 = 7.0376836292e-2f, L7 = -1.1514610310e-1f, L6 = 1.1676998740e-1f,
            L5 = -1.2420140846e-1f, L4 = 1.4249322787e-1f, L3 = -1.6668057665e-1f, L2 = 2.0000714765e-1f,
            L1 = -2.4999993993e-1f, L0 = 3.3333331174e-1f;
    private static final float T4 = -5.70498872745e-3f, T3 = 2.06390887954e-2f, T2 = -5.37397155531e-2f,
            T1 = 1.33314422036e-1f, T0 = -3.33332819422e-1f;

    private ExpLog() {}

    // ------------------------------------------------------------------ exp

    static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float n = Math.fma(c, LOG2E, ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(E5, r, E4);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, E1);
        p = Math.fma(p, r, E0);
        float y = Math.fma(p, r * r, r) + 1f;
        int k = (int) n;
        int k1 = k >> 1, k2 = k - k1;
        return y * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
    }

    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector n = c.fma(FloatVector.broadcast(SP, LOG2E), FloatVector.broadcast(SP, ROUND)).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(SP, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(SP, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(SP, E5).fma(r, FloatVector.broadcast(SP, E4));
        p = p.fma(r, FloatVector.broadcast(SP, E3));
        p = p.fma(r, FloatVector.broadcast(SP, E2));
        p = p.fma(r, FloatVector.broadcast(SP, E1));
        p = p.fma(r, FloatVector.broadcast(SP, E0));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector k = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(s1).mul(s2);
    }

    // ------------------------------------------------------------------ log

    static float log(float x) {
        if (!(x > 0) || x == Float.POSITIVE_INFINITY) {
            if (x == 0) return Float.NEGATIVE_INFINITY;
            return x == Float.POSITIVE_INFINITY ? x : Float.NaN;
        }
        int bits = Float.floatToRawIntBits(x);
        float bias = 0;
        if (bits < 0x00800000) { // subnormal: scale into the normal range first
            bits = Float.floatToRawIntBits(x * 8388608f);
            bias = -23;
        }
        float e = ((bits >>> 23) - 126) + bias;
        float m = Float.intBitsToFloat((bits & 0x007fffff) | 0x3f000000);
        if (m < SQRTHF) {
            e -= 1;
            m = m + m - 1f;
        } else {
            m = m - 1f;
        }
        float z = m * m;
        float p = Math.fma(L8, m, L7);
        p = Math.fma(p, m, L6);
        p = Math.fma(p, m, L5);
        p = Math.fma(p, m, L4);
        p = Math.fma(p, m, L3);
        p = Math.fma(p, m, L2);
        p = Math.fma(p, m, L1);
        p = Math.fma(p, m, L0);
        float y = p * m * z;
        y = Math.fma(e, LN2_LO, y);
        y = Math.fma(-0.5f, z, y);
        return Math.fma(e, LN2_HI, m + y);
    }

    static FloatVector log(FloatVector x) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), sub);
        IntVector bits = xs.reinterpretAsInts();
        FloatVector bias = FloatVector.zero(SP).blend(-23f, sub);
        FloatVector e = ((FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126).convert(VectorOperators.I2F, 0)).add(bias);
        FloatVector m = bits.and(0x007fffff).or(0x3f000000).reinterpretAsFloats();
        VectorMask<Float> small = m.compare(VectorOperators.LT, SQRTHF);
        e = e.sub(FloatVector.zero(SP).blend(1f, small));
        m = m.add(m).sub(1f).blend(m.sub(1f), small.not());
        FloatVector z = m.mul(m);
        FloatVector p = FloatVector.broadcast(SP, L8).fma(m, FloatVector.broadcast(SP, L7));
        p = p.fma(m, FloatVector.broadcast(SP, L6));
        p = p.fma(m, FloatVector.broadcast(SP, L5));
        p = p.fma(m, FloatVector.broadcast(SP, L4));
        p = p.fma(m, FloatVector.broadcast(SP, L3));
        p = p.fma(m, FloatVector.broadcast(SP, L2));
        p = p.fma(m, FloatVector.broadcast(SP, L1));
        p = p.fma(m, FloatVector.broadcast(SP, L0));
        FloatVector y = p.mul(m).mul(z);
        y = e.fma(FloatVector.broadcast(SP, LN2_LO), y);
        y = FloatVector.broadcast(SP, -0.5f).fma(z, y);
        FloatVector r = e.fma(FloatVector.broadcast(SP, LN2_HI), m.add(y));
        // x == 0 -> -inf; x < 0 or NaN -> NaN; +inf -> +inf
        r = r.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        r = r.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.compare(VectorOperators.NE, x)));
        return r.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    // ------------------------------------------------------------------ tanh

    static float tanh(float x) {
        float a = Math.abs(x);
        if (a < 0.625f) {
            float z = x * x;
            float p = Math.fma(T4, z, T3);
            p = Math.fma(p, z, T2);
            p = Math.fma(p, z, T1);
            p = Math.fma(p, z, T0);
            return Math.fma(p * z, x, x);
        }
        float t = 1f - 2f / (exp(a + a) + 1f);
        return Math.copySign(t, x);
    }

    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(SP, T4).fma(z, FloatVector.broadcast(SP, T3));
        p = p.fma(z, FloatVector.broadcast(SP, T2));
        p = p.fma(z, FloatVector.broadcast(SP, T1));
        p = p.fma(z, FloatVector.broadcast(SP, T0));
        FloatVector small = p.mul(z).fma(x, x);
        FloatVector big = FloatVector.broadcast(SP, 1f).sub(FloatVector.broadcast(SP, 2f).div(exp(a.add(a)).add(1f)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        return big.blend(small, a.compare(VectorOperators.LT, 0.625f));
    }
}
