package flux2.tensor;

/** Elementwise unary operations; POW and CLAMP take scalar parameters. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, TANH, SIGMOID, SILU,
    /** GELU with the tanh approximation, as PyTorch's {@code gelu(approximate="tanh")}. */
    GELU_TANH,
    /** Exact GELU with erf. */
    GELU,
    ABS, SQUARE, RECIPROCAL,
    /** -1, 0 or 1 (NaN stays NaN). */
    SIGN,
    /** The error function. */
    ERF,
    SIN, COS,
    /** d/dx GELU(x) = Phi(x) + x phi(x) (exact GELU), for backward passes. */
    GELU_GRAD,
    /** d/dx SiLU(x) = s(x) (1 + x (1 - s(x))), for backward passes. */
    SILU_GRAD,
    /** x^p with p = first parameter. */
    POW,
    /** min(max(x, lo), hi) with lo, hi = the parameters. */
    CLAMP,
    /** x * a + b with a, b = the parameters. */
    AFFINE
}
