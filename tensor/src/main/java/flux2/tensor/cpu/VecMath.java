package flux2.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise functions the Vector API lacks, in a vector and a scalar form that agree: the complementary error
 * function (for exact GELU) and the logistic function.
 */
final class VecMath {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;

    // erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0: the Chebyshev fit of Numerical Recipes
    // (Press et al., 2nd ed., section 6.2), with fractional error below 1.2e-7 for every z >= 0.
    private static final float C0 = -1.26551223f, C1 = 1.00002368f, C2 = 0.37409196f, C3 = 0.09678418f,
            C4 = -0.18628806f, C5 = 0.27886807f, C6 = -1.13520398f, C7 = 1.48851587f, C8 = -0.82215223f,
            C9 = 0.17087277f;
    static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    /** sqrt(2/pi), the GELU tanh-approximation constant. */
    static final float GELU_K = (float) Math.sqrt(2 / Math.PI);
    static final float GELU_C = 0.044715f;

    private VecMath() {}

    private static FloatVector one() { return FloatVector.broadcast(SP, 1f); }

    /** erfc(z) for z >= 0. */
    static float erfcPositive(float z) {
        float hi = z * z;
        return erfcPositive(z, hi, Math.fma(z, z, -hi));
    }

    /** erfc(z) for z >= 0 given z^2 exactly as hi + lo, so that its exponential is not degraded by rounding. */
    private static float erfcPositive(float z, float hi, float lo) {
        float t = 1f / Math.fma(z, 0.5f, 1f);
        float p = Math.fma(t, C9, C8);
        p = Math.fma(t, p, C7);
        p = Math.fma(t, p, C6);
        p = Math.fma(t, p, C5);
        p = Math.fma(t, p, C4);
        p = Math.fma(t, p, C3);
        p = Math.fma(t, p, C2);
        p = Math.fma(t, p, C1);
        p = Math.fma(t, p, C0);
        // exp(p - z^2) with p - z^2 carried as an unevaluated sum s + c: rounding z^2 or the difference would
        // cost a relative error of z^2 * 2^-24 (4e-6 at z = 6).
        float s = p - hi, v = s - p;
        float c = (p - (s - v)) - (hi + v) - lo;
        float e = ExpLog.exp(s);
        return t * Math.fma(e, c, e);
    }

    static FloatVector erfcPositive(FloatVector z) {
        FloatVector hi = z.mul(z);
        return erfcPositive(z, hi, z.fma(z, hi.neg()));
    }

    private static FloatVector erfcPositive(FloatVector z, FloatVector hi, FloatVector lo) {
        FloatVector t = one().div(z.fma(0.5f, 1f));
        FloatVector p = t.fma(C9, C8);
        p = t.fma(p, FloatVector.broadcast(SP, C7));
        p = t.fma(p, FloatVector.broadcast(SP, C6));
        p = t.fma(p, FloatVector.broadcast(SP, C5));
        p = t.fma(p, FloatVector.broadcast(SP, C4));
        p = t.fma(p, FloatVector.broadcast(SP, C3));
        p = t.fma(p, FloatVector.broadcast(SP, C2));
        p = t.fma(p, FloatVector.broadcast(SP, C1));
        p = t.fma(p, FloatVector.broadcast(SP, C0));
        FloatVector s = p.sub(hi), v = s.sub(p);
        FloatVector c = p.sub(s.sub(v)).sub(hi.add(v)).sub(lo);
        FloatVector e = ExpLog.exp(s);
        return t.mul(e.fma(c, e));
    }

    /**
     * erf(x) for any x: a Taylor series near zero, where 1 - erfc(x) would lose the relative accuracy, and
     * erfc elsewhere so that the tails keep theirs.
     */
    static float erf(float x) {
        if (Math.abs(x) < 0.5f) {
            // 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)); 7 terms leave < 1e-10 at |x| = 0.5
            double x2 = (double) x * x, term = x, sum = x;
            for (int n = 1; n < 7; n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return (float) (sum * 1.1283791670955126);
        }
        float e = erfcPositive(Math.abs(x));
        return x >= 0 ? 1f - e : e - 1f;
    }

    /** Exact GELU: x/2 * erfc(-x/sqrt 2), which avoids the cancellation in 1 + erf for negative x. */
    static float gelu(float x) {
        // (x/sqrt 2)^2 = x^2/2 is formed exactly from x, not from the rounded x/sqrt 2.
        float sq = x * x;
        float e = erfcPositive(Math.abs(x) * INV_SQRT2, 0.5f * sq, 0.5f * Math.fma(x, x, -sq));
        return 0.5f * x * (x >= 0 ? 2f - e : e);
    }

    static FloatVector gelu(FloatVector x) {
        FloatVector sq = x.mul(x);
        FloatVector e = erfcPositive(x.abs().mul(INV_SQRT2), sq.mul(0.5f), x.fma(x, sq.neg()).mul(0.5f));
        VectorMask<Float> pos = x.compare(VectorOperators.GE, 0f);
        FloatVector c = e.blend(e.neg().add(2f), pos);
        return x.mul(0.5f).mul(c);
    }

    /** GELU with tanh: x/2 (1 + tanh y) written as x / (1 + exp(-2y)), exact in the negative tail too. */
    static float geluTanh(float x) {
        float m = Math.fma(x * x * x, GELU_C, x) * (-2f * GELU_K);
        return x / (1f + ExpLog.exp(m));
    }

    static FloatVector geluTanh(FloatVector x) {
        FloatVector x3 = x.mul(x).mul(x);
        FloatVector m = x3.fma(FloatVector.broadcast(SP, GELU_C), x).mul(-2f * GELU_K);
        return x.div(ExpLog.exp(m).add(1f));
    }

    static float sigmoid(float x) {
        return 1f / (1f + ExpLog.exp(-x));
    }

    static FloatVector sigmoid(FloatVector x) {
        return one().div(ExpLog.exp(x.neg()).add(1f));
    }

    static float silu(float x) {
        return x / (1f + ExpLog.exp(-x));
    }

    static FloatVector silu(FloatVector x) {
        return x.div(ExpLog.exp(x.neg()).add(1f));
    }

    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    /** d/dx GELU(x) = Phi(x) + x phi(x), with Phi from erfc as in {@link #gelu(float)}. */
    static float geluGrad(float x) {
        float sq = x * x;
        float e = erfcPositive(Math.abs(x) * INV_SQRT2, 0.5f * sq, 0.5f * Math.fma(x, x, -sq));
        float cdf = 0.5f * (x >= 0 ? 2f - e : e);
        float pdf = ExpLog.exp(-0.5f * sq) * INV_SQRT_2PI;
        return Math.fma(x, pdf, cdf);
    }

    static FloatVector geluGrad(FloatVector x) {
        FloatVector sq = x.mul(x);
        FloatVector e = erfcPositive(x.abs().mul(INV_SQRT2), sq.mul(0.5f), x.fma(x, sq.neg()).mul(0.5f));
        VectorMask<Float> pos = x.compare(VectorOperators.GE, 0f);
        FloatVector cdf = e.blend(e.neg().add(2f), pos).mul(0.5f);
        FloatVector pdf = ExpLog.exp(sq.mul(-0.5f)).mul(INV_SQRT_2PI);
        return x.fma(pdf, cdf);
    }

    /** d/dx SiLU(x) = s (1 + x (1 - s)) with s the logistic function. */
    static float siluGrad(float x) {
        float s = sigmoid(x);
        return s * Math.fma(x, 1f - s, 1f);
    }

    static FloatVector siluGrad(FloatVector x) {
        FloatVector s = sigmoid(x);
        return s.mul(x.fma(one().sub(s), one()));
    }
}
