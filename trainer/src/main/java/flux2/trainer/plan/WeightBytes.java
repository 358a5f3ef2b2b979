package flux2.trainer.plan;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import flux2.model.mistral.MistralConfig;
import flux2.quant.Precision;
import flux2.quant.QuantScheme;

/** Bytes of base weights in a precision, counted from a model's config (no weights are read). */
public final class WeightBytes {
    private WeightBytes() {}

    /** What the Linear weights of a FLUX.2 transformer take in {@code precision}: packed values and their F32 scales. */
    public static long transformer(Flux2Config c, Precision precision) {
        long sum = 0;
        for (Flux2Linears.Size s : Flux2Linears.of(c).values()) sum += linear(s.in(), s.out(), precision);
        return sum;
    }

    /** One double block's Linear weights (both streams). */
    public static long doubleBlock(Flux2Config c, Precision precision) { return block(c, "double_blocks.0.", precision); }

    /** One single block's Linear weights. */
    public static long singleBlock(Flux2Config c, Precision precision) { return block(c, "single_blocks.0.", precision); }

    private static long block(Flux2Config c, String prefix, Precision precision) {
        long sum = 0;
        for (var e : Flux2Linears.of(c).entrySet())
            if (e.getKey().startsWith(prefix)) sum += linear(e.getValue().in(), e.getValue().out(), precision);
        return sum;
    }

    /**
     * One Linear [out, in]: 2 bytes a weight as stored (BF16 checkpoints) or in BF16; int8 one byte a weight, an F32
     * scale a row and a column; fp8 one byte a weight and an F32 scale a row; int4 packed rows of half a byte a weight with an F32 scale per group and per column.
     */
    public static long linear(int in, int out, Precision precision) {
        QuantScheme q = precision.scheme();
        if (q == null) return 2L * in * out;
        if (q == QuantScheme.INT8) return (long) in * out + 4L * out + 4L * in;
        if (q == QuantScheme.FP8) return (long) in * out + 4L * out;
        long packed = (long) out * ((in + 1) / 2);
        long scales = 4L * out * q.groups(in) * (q.zeroPoint() ? 2 : 1);
        return packed + scales + (q.columnScales() ? 4L * in : 0);
    }

    /**
     * The Mistral decoder layers FLUX.2 runs (up to its last output layer) and the token embedding, in
     * {@code precision}: int8 and int4 apply to the attention and MLP projections; embeddings and norms stay BF16.
     */
    public static long textEncoder(MistralConfig m, Precision precision) {
        int h = m.hiddenSize(), q = m.numHeads() * m.headDim(), kv = m.numKvHeads() * m.headDim(), f = m.intermediateSize();
        long perLayer = linear(h, q, precision) + 2 * linear(h, kv, precision) + linear(q, h, precision)
                + 2 * linear(h, f, precision) + linear(f, h, precision) + 2L * 2 * h;
        return (long) m.layersNeeded() * perLayer + 2L * m.vocabSize() * h;
    }
}
