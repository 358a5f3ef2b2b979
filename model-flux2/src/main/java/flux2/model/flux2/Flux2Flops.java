package flux2.model.flux2;

/**
 * Floating-point operations (multiply-add = 2) of the transformer's matrix products and attention for a batch,
 * counting only useful work: the recomputation of checkpointed blocks is not counted.
 */
public final class Flux2Flops {
    private Flux2Flops() {}

    /** Products of a Linear [in -> out] over m rows. */
    private static double lin(double m, double in, double out) { return 2 * m * in * out; }

    /** Matrix FLOPs of the block Linears (whose inputs carry gradients in training), per batch item. */
    static double blockLinears(Flux2Config c, int imgTokens, int txtTokens) {
        double d = c.hiddenSize(), mlp = c.mlpHidden(), l = imgTokens + txtTokens;
        double perStreamToken = lin(1, d, 3 * d) + lin(1, d, d) + lin(1, d, 2 * mlp) + lin(1, mlp, d);
        double single = lin(1, d, 3 * d + 2 * mlp) + lin(1, d + mlp, d);
        return c.depth() * perStreamToken * l + c.depthSingleBlocks() * single * l;
    }

    /** Attention products (QK^T and PV) of all blocks, per batch item. */
    static double attention(Flux2Config c, int imgTokens, int txtTokens) {
        double l = imgTokens + txtTokens;
        return (c.depth() + c.depthSingleBlocks()) * 2 * lin(l, c.hiddenSize(), l);
    }

    /** Forward FLOPs of the embedders, modulations and final layer, per batch item. */
    static double outerLayers(Flux2Config c, int imgTokens, int txtTokens) {
        double d = c.hiddenSize(), emb = TimestepEmbedding.DIM;
        double vec = (c.guidanceEmbed() ? 2 : 1) * (lin(1, emb, d) + lin(1, d, d));
        double mods = lin(1, d, 15 * d) + lin(1, d, 2 * d);
        return lin(imgTokens, c.inChannels(), d) + lin(txtTokens, c.contextInDim(), d) + vec + mods + lin(imgTokens, d, c.inChannels());
    }

    /** Forward FLOPs, with LoRA adapters of the given rank on Linears whose (in + out) sizes, weighted by tokens, add up to {@code loraInOutTokens}. */
    public static double forward(Flux2Config c, int batch, int imgTokens, int txtTokens, int rank, double loraInOutTokens) {
        return batch * (blockLinears(c, imgTokens, txtTokens) + attention(c, imgTokens, txtTokens) + outerLayers(c, imgTokens, txtTokens)
                + 2.0 * rank * loraInOutTokens);
    }

    /**
     * One LoRA training step: the forward, the input gradients of the frozen block Linears and the final Linear,
     * the attention backward (QK^T recomputed, then dV, dP, dQ, dK: 2.5 forwards), and the adapters' input and
     * weight gradients (2 forwards).
     */
    public static double trainingStep(Flux2Config c, int batch, int imgTokens, int txtTokens, int rank, double loraInOutTokens) {
        double backward = blockLinears(c, imgTokens, txtTokens) + lin(imgTokens, c.hiddenSize(), c.inChannels())
                + 2.5 * attention(c, imgTokens, txtTokens) + 2 * 2.0 * rank * loraInOutTokens;
        return forward(c, batch, imgTokens, txtTokens, rank, loraInOutTokens) + batch * backward;
    }

    /** Sum over the adapted Linears of (in + out) x the tokens each sees: img/txt streams in double blocks, all in single. */
    public static double loraInOutTokens(java.util.Map<String, flux2.autograd.nn.Linear> adapted, int imgTokens, int txtTokens) {
        double s = 0;
        for (var e : adapted.entrySet()) {
            String n = e.getKey();
            int tokens = n.contains(".txt_") ? txtTokens : n.contains(".img_") ? imgTokens : imgTokens + txtTokens;
            s += (double) tokens * (e.getValue().in + e.getValue().out);
        }
        return s;
    }
}
