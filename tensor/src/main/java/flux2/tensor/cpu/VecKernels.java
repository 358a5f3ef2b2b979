package flux2.tensor.cpu;

import flux2.tensor.BinaryOp;
import flux2.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise kernels over dense F32 runs in memory segments. Each operator has its own loop so that the
 * Vector API sees a constant operation; the scalar tail computes the same function.
 */
final class VecKernels {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VecKernels() {}

    private static FloatVector ld(MemorySegment s, long off, int i) {
        return FloatVector.fromMemorySegment(SP, s, off + i * 4L, LE);
    }

    /**
     * o[i] = op(x[i]) for i < n; x and o are byte offsets of F32 runs. Each operator's loop is a method of
     * its own: one method holding every loop grows past what C2 inlines, and a vector that crosses a call
     * that is not inlined is boxed, which costs a hundredfold.
     */
    static void unary(UnaryOp op, float p0, float p1, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int done = switch (op) {
            case NEG -> neg(xs, xo, os, oo, n);
            case EXP -> exp(xs, xo, os, oo, n);
            case LOG -> log(xs, xo, os, oo, n);
            case SQRT -> sqrt(xs, xo, os, oo, n);
            case RSQRT -> rsqrt(xs, xo, os, oo, n);
            case TANH -> tanh(xs, xo, os, oo, n);
            case SIGMOID -> sigmoid(xs, xo, os, oo, n);
            case SILU -> silu(xs, xo, os, oo, n);
            case GELU -> gelu(xs, xo, os, oo, n);
            case GELU_TANH -> geluTanh(xs, xo, os, oo, n);
            case ABS -> abs(xs, xo, os, oo, n);
            case SQUARE -> square(xs, xo, os, oo, n);
            case RECIPROCAL -> reciprocal(xs, xo, os, oo, n);
            case POW -> pow(p0, xs, xo, os, oo, n);
            case CLAMP -> clamp(p0, p1, xs, xo, os, oo, n);
            case AFFINE -> affine(p0, p1, xs, xo, os, oo, n);
            case GELU_GRAD -> geluGrad(xs, xo, os, oo, n);
            case SILU_GRAD -> siluGrad(xs, xo, os, oo, n);
            case SIGN, ERF, SIN, COS -> 0; // rare (backward rules, rotary tables): the scalar loop below
        };
        for (int i = done; i < n; i++) os.set(F, oo + i * 4L, unary(op, p0, p1, xs.get(F, xo + i * 4L)));
    }

    private static int neg(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            v.neg().intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int exp(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            ExpLog.exp(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int log(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            ExpLog.log(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int sqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            v.sqrt().intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int rsqrt(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            FloatVector.broadcast(SP, 1f).div(v.sqrt()).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int tanh(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            ExpLog.tanh(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int sigmoid(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            VecMath.sigmoid(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int silu(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            VecMath.silu(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int geluGrad(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) VecMath.geluGrad(ld(xs, xo, i)).intoMemorySegment(os, oo + i * 4L, LE);
        return i;
    }

    private static int siluGrad(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) VecMath.siluGrad(ld(xs, xo, i)).intoMemorySegment(os, oo + i * 4L, LE);
        return i;
    }

    private static int gelu(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            VecMath.gelu(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int geluTanh(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            VecMath.geluTanh(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int abs(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            v.abs().intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int square(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            v.mul(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int reciprocal(MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) {
            FloatVector v = ld(xs, xo, i);
            FloatVector.broadcast(SP, 1f).div(v).intoMemorySegment(os, oo + i * 4L, LE);
        }
        return i;
    }

    private static int pow(float p, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        if (p == 2f) return square(xs, xo, os, oo, n);
        if (p != 1f) return 0; // the scalar loop: lanewise POW differs between JIT tiers in the last bit
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) ld(xs, xo, i).intoMemorySegment(os, oo + i * 4L, LE);
        return i;
    }

    private static int clamp(float lo, float hi, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) ld(xs, xo, i).max(lo).min(hi).intoMemorySegment(os, oo + i * 4L, LE);
        return i;
    }

    private static int affine(float a, float b, MemorySegment xs, long xo, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L) ld(xs, xo, i).fma(a, b).intoMemorySegment(os, oo + i * 4L, LE);
        return i;
    }

    /** o[i] = exp(x[i] - shift): the numerator of a softmax. */
    static void expShifted(MemorySegment xs, long xo, float shift, MemorySegment os, long oo, int n) {
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L)
            ExpLog.exp(ld(xs, xo, i).sub(shift)).intoMemorySegment(os, oo + i * 4L, LE);
        for (; i < n; i++) os.set(F, oo + i * 4L, ExpLog.exp(xs.get(F, xo + i * 4L) - shift));
    }

    /**
     * o[i] = (x[i] - mean) * scale + shift, with the double mean applied as a float pair (hi + lo): x - hi is
     * exact for x near the mean, so rows far from zero keep their precision.
     */
    static void normalize(MemorySegment xs, long xo, double mean, float scale, float shift, MemorySegment os, long oo, int n) {
        float hi = (float) mean, lo = (float) (mean - hi);
        int i = 0;
        FloatVector sc = FloatVector.broadcast(SP, scale), sh = FloatVector.broadcast(SP, shift);
        for (int up = SP.loopBound(n); i < up; i += L)
            ld(xs, xo, i).sub(hi).sub(lo).fma(sc, sh).intoMemorySegment(os, oo + i * 4L, LE);
        for (; i < n; i++) os.set(F, oo + i * 4L, Math.fma(xs.get(F, xo + i * 4L) - hi - lo, scale, shift));
    }

    /** o[i] = (x[i] - mean) * scale * w[i] + b[i]: a normalized row with per-channel weight and bias. */
    static void normalize(MemorySegment xs, long xo, double mean, float scale, MemorySegment ws, MemorySegment bs,
                          MemorySegment os, long oo, int n) {
        float hi = (float) mean, lo = (float) (mean - hi);
        int i = 0;
        for (int up = SP.loopBound(n); i < up; i += L)
            ld(xs, xo, i).sub(hi).sub(lo).mul(scale).fma(ld(ws, 0, i), ld(bs, 0, i)).intoMemorySegment(os, oo + i * 4L, LE);
        for (; i < n; i++)
            os.set(F, oo + i * 4L, Math.fma((xs.get(F, xo + i * 4L) - hi - lo) * scale, ws.get(F, i * 4L), bs.get(F, i * 4L)));
    }

    /** The scalar form of {@link #unary(UnaryOp, float, float, MemorySegment, long, MemorySegment, long, int)}. */
    static float unary(UnaryOp op, float p0, float p1, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> ExpLog.exp(x);
            case LOG -> ExpLog.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> 1f / (float) Math.sqrt(x);
            case TANH -> ExpLog.tanh(x);
            case SIGMOID -> VecMath.sigmoid(x);
            case SILU -> VecMath.silu(x);
            case GELU -> VecMath.gelu(x);
            case GELU_TANH -> VecMath.geluTanh(x);
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
            case POW -> p0 == 2f ? x * x : p0 == 1f ? x : (float) Math.pow(x, p0);
            case CLAMP -> Math.min(Math.max(x, p0), p1);
            case AFFINE -> Math.fma(x, p0, p1);
            case SIGN -> Math.signum(x);
            case ERF -> VecMath.erf(x);
            case SIN -> (float) Math.sin(x);
            case COS -> (float) Math.cos(x);
            case GELU_GRAD -> VecMath.geluGrad(x);
            case SILU_GRAD -> VecMath.siluGrad(x);
        };
    }

    /**
     * o[i] = op(a[i], b[i]) for i < n. An operand flagged scalar is the single value at its offset, used for
     * every i (a per-row scalar expanded along the row).
     */
    static void binary(BinaryOp op, MemorySegment as, long ao, boolean aScalar, MemorySegment bs, long bo, boolean bScalar,
                       MemorySegment os, long oo, int n) {
        if (aScalar && bScalar) {
            float v = binary(op, as.get(F, ao), bs.get(F, bo));
            for (int i = 0; i < n; i++) os.set(F, oo + i * 4L, v);
            return;
        }
        if (aScalar) binaryScalarA(op, as.get(F, ao), bs, bo, os, oo, n);
        else if (bScalar) binaryScalarB(op, as, ao, bs.get(F, bo), os, oo, n);
        else binaryRuns(op, as, ao, bs, bo, os, oo, n);
    }

    private static void binaryRuns(BinaryOp op, MemorySegment as, long ao, MemorySegment bs, long bo, MemorySegment os, long oo, int n) {
        int i = 0;
        int up = SP.loopBound(n);
        switch (op) {
            case ADD -> { for (; i < up; i += L) ld(as, ao, i).add(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case SUB -> { for (; i < up; i += L) ld(as, ao, i).sub(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MUL -> { for (; i < up; i += L) ld(as, ao, i).mul(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case DIV -> { for (; i < up; i += L) ld(as, ao, i).div(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MAX -> { for (; i < up; i += L) ld(as, ao, i).max(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MIN -> { for (; i < up; i += L) ld(as, ao, i).min(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case POW -> { for (; i < up; i += L) ld(as, ao, i).pow(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
        }
        for (; i < n; i++) os.set(F, oo + i * 4L, binary(op, as.get(F, ao + i * 4L), bs.get(F, bo + i * 4L)));
    }

    private static void binaryScalarA(BinaryOp op, float a, MemorySegment bs, long bo, MemorySegment os, long oo, int n) {
        int i = 0;
        int up = SP.loopBound(n);
        FloatVector av = FloatVector.broadcast(SP, a);
        switch (op) {
            case ADD -> { for (; i < up; i += L) av.add(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case SUB -> { for (; i < up; i += L) av.sub(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MUL -> { for (; i < up; i += L) av.mul(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case DIV -> { for (; i < up; i += L) av.div(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MAX -> { for (; i < up; i += L) av.max(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case MIN -> { for (; i < up; i += L) av.min(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
            case POW -> { for (; i < up; i += L) av.pow(ld(bs, bo, i)).intoMemorySegment(os, oo + i * 4L, LE); }
        }
        for (; i < n; i++) os.set(F, oo + i * 4L, binary(op, a, bs.get(F, bo + i * 4L)));
    }

    private static void binaryScalarB(BinaryOp op, MemorySegment as, long ao, float b, MemorySegment os, long oo, int n) {
        int i = 0;
        int up = SP.loopBound(n);
        FloatVector bv = FloatVector.broadcast(SP, b);
        switch (op) {
            case ADD -> { for (; i < up; i += L) ld(as, ao, i).add(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case SUB -> { for (; i < up; i += L) ld(as, ao, i).sub(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case MUL -> { for (; i < up; i += L) ld(as, ao, i).mul(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case DIV -> { for (; i < up; i += L) ld(as, ao, i).div(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case MAX -> { for (; i < up; i += L) ld(as, ao, i).max(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case MIN -> { for (; i < up; i += L) ld(as, ao, i).min(bv).intoMemorySegment(os, oo + i * 4L, LE); }
            case POW -> { for (; i < up; i += L) ld(as, ao, i).pow(bv).intoMemorySegment(os, oo + i * 4L, LE); }
        }
        for (; i < n; i++) os.set(F, oo + i * 4L, binary(op, as.get(F, ao + i * 4L), b));
    }

    static float binary(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) Math.pow(a, b);
        };
    }
}
