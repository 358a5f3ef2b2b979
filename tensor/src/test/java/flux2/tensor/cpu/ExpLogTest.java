package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The tier-independent exp/log/tanh: accurate to a couple of ulps, and vector lanes equal the scalar form. */
class ExpLogTest {
    private static final int L = ExpLog.SP.length();

    private static double ulps(float got, double ref) {
        if (Double.isNaN(ref)) return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        if (Double.isInfinite(ref) || (float) ref == 0f) return (float) ref == got ? 0 : Double.POSITIVE_INFINITY;
        return Math.abs(got - ref) / Math.ulp((float) ref);
    }

    private static float[] sample(SplittableRandom r, float lo, float hi, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    interface Scalar { float f(float x); }
    interface Vec { FloatVector f(FloatVector x); }

    private static double check(String name, float[] xs, Scalar s, Vec v, java.util.function.DoubleUnaryOperator ref) {
        double worst = 0;
        for (int i = 0; i + L <= xs.length; i += L) {
            FloatVector out = v.f(FloatVector.fromArray(ExpLog.SP, xs, i));
            for (int j = 0; j < L; j++) {
                float scalar = s.f(xs[i + j]);
                assertEquals(Float.floatToIntBits(scalar), Float.floatToIntBits(out.lane(j)), name + " lane differs from scalar at " + xs[i + j]);
                worst = Math.max(worst, ulps(scalar, ref.applyAsDouble(xs[i + j])));
            }
        }
        return worst;
    }

    @Test
    void accurateAndLaneEqualsScalar() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 64 * 1024;
        double e = check("exp", sample(r, -87, 88, n), ExpLog::exp, ExpLog::exp, Math::exp);
        double lg = check("log", sample(r, 1e-30f, 1e30f, n), ExpLog::log, ExpLog::log, Math::log);
        double lgNear1 = check("log near 1", sample(r, 0.5f, 2f, n), ExpLog::log, ExpLog::log, Math::log);
        double th = check("tanh", sample(r, -10, 10, n), ExpLog::tanh, ExpLog::tanh, Math::tanh);
        double thSmall = check("tanh small", sample(r, -0.7f, 0.7f, n), ExpLog::tanh, ExpLog::tanh, Math::tanh);
        assertTrue(e <= 2, "exp ulps " + e);
        assertTrue(lg <= 2 && lgNear1 <= 2, "log ulps " + lg + " / " + lgNear1);
        assertTrue(th <= 3 && thSmall <= 3, "tanh ulps " + th + " / " + thSmall);
    }

    @Test
    void specialValues() {
        float[] xs = {0f, -0f, 1f, 89f, 100f, -104f, -200f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, 1e-40f, -1f, 1e-20f};
        float[] padded = java.util.Arrays.copyOf(xs, ((xs.length + L - 1) / L) * L);
        check("exp specials", padded, ExpLog::exp, ExpLog::exp, Math::exp);
        check("log specials", padded, ExpLog::log, ExpLog::log, Math::log);
        check("tanh specials", padded, ExpLog::tanh, ExpLog::tanh, Math::tanh);
        assertEquals(Float.POSITIVE_INFINITY, ExpLog.exp(100f));
        assertEquals(0f, ExpLog.exp(-200f));
        assertEquals(1f, ExpLog.exp(0f));
        assertEquals(Float.NEGATIVE_INFINITY, ExpLog.log(0f));
        assertTrue(Float.isNaN(ExpLog.log(-1f)));
        assertEquals(1f, ExpLog.tanh(20f));
    }
}
