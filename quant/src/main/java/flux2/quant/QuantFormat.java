package flux2.quant;

/** The integer formats of quantized weights. */
public enum QuantFormat {
    /** Symmetric int8, one scale per output channel (row of W [out, in]) and optionally per input column, values in [-127, 127]. */
    INT8,
    /** int4 in groups along the input dimension, a scale (and optionally a zero point) per group, two per byte, rows padded to whole bytes. */
    INT4
}
