package flux2.tensor.cpu;

import flux2.tensor.BinaryOp;
import flux2.tensor.UnaryOp;

/** Double-precision definitions of the elementwise operations, written from their mathematical forms. */
final class Reference {
    private Reference() {}

    /** erf by its Maclaurin series (|x| < 2.5) or through the continued fraction of erfc. */
    static double erf(double x) {
        if (Math.abs(x) < 2.5) {
            double sum = 0, term = x;
            for (int n = 0; n < 200; n++) {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-18 * Math.abs(sum)) break;
                term *= -x * x / (n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        return Math.signum(x) * (1 - erfcContinuedFraction(Math.abs(x)));
    }

    static double erfc(double x) {
        if (x < 0) return 2 - erfc(-x);
        return x < 2.5 ? 1 - erf(x) : erfcContinuedFraction(x);
    }

    /** erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), for x >= 2.5. */
    static double erfcContinuedFraction(double x) {
        double k = x;
        for (int n = 120; n >= 1; n--) k = x + (n / 2.0) / k;
        return Math.exp(-x * x) / (Math.sqrt(Math.PI) * k);
    }

    static double unary(UnaryOp op, double x, double p0, double p1) {
        double q0 = (float) p0, q1 = (float) p1;
        return switch (op) {
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case SILU -> x / (1 + Math.exp(-x));
            case GELU -> 0.5 * x * erfc(-x / Math.sqrt(2)); // = x/2 (1 + erf(x/sqrt 2)), without cancellation
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1 / x;
            case POW -> Math.pow(x, q0);
            case CLAMP -> Math.min(Math.max(x, q0), q1);
            case AFFINE -> x * q0 + q1;
            case SIGN -> Math.signum(x);
            case ERF -> 1 - erfc(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case GELU_GRAD -> 0.5 * erfc(-x / Math.sqrt(2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            case SILU_GRAD -> { double sg = 1 / (1 + Math.exp(-x)); yield sg * (1 + x * (1 - sg)); }
        };
    }

    static double binary(BinaryOp op, double a, double b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> Math.pow(a, b);
        };
    }
}
