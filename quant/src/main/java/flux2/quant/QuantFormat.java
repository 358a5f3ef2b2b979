package flux2.quant;

/** The formats of quantized weights. */
public enum QuantFormat {
    /** Symmetric int8, one scale per output channel (row of W [out, in]) and optionally per input column, values in [-127, 127]. */
    INT8,
    /** int4 in groups along the input dimension, a scale (and optionally a zero point) per group, two per byte, rows padded to whole bytes. */
    INT4,
    /**
     * 8-bit floats e4m3fn (1 sign, 4 exponent bits of bias 7, 3 mantissa bits; no infinities, largest 448) with one
     * F32 scale per output channel: a weight row is w ~ e4m3(w / s) * s with s = max|w| / 448.
     */
    FP8_E4M3
}
