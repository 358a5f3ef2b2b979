package flux2.trainer.plan;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import java.util.Map;
import java.util.Set;

/**
 * The bytes one training step of the FLUX.2 transformer allocates for its activations and their gradients, per
 * sample, as this engine runs it: every result of the forward and the backward lives in the step's arena until the
 * step ends, so the count is of all of them, not of what a framework with a caching allocator would keep.
 *
 * <p>The constants are F32 values per token and unit of width, counted from the engine's allocations on FLUX.2
 * miniatures of widths 32 to 96 (1 to 3 blocks of each kind, LoRA ranks 4 to 16); they are exact at
 * {@code mlp_ratio} 3, FLUX.2's, and scale with the block's width plus its MLP width otherwise.
 * <ul>
 *   <li>a double block keeps 109 D per token of a stream that is backpropagated, 78.4 D for one that is not
 *       (a text stream upstream of every adapted text layer), a single block 127 D per token (fitted with the
 *       fused modulated LayerNorm and the fused norm backward, which keep no LayerNorm output or backward
 *       temporaries of their own);</li>
 *   <li>a Linear with a LoRA adds 2 in + 5 out + 2 rank per token of its stream (its branch and its input
 *       gradient);</li>
 *   <li>outside the blocks: 2.34 D + 10.6 C per image token (C latent channels: embedder, final layer, loss), the
 *       prompt features per text token;</li>
 *   <li>with gradient checkpointing a block's forward is dropped and recomputed in the backward, one block at a
 *       time: the step keeps 16 D + 7.6 C per image token outside the blocks, 5 D per token per double block and
 *       2 D per single block (their outputs and input gradients), and at the peak the recomputation of the
 *       largest block less 2 D per token.</li>
 * </ul>
 */
public final class StepActivations {
    private StepActivations() {}

    static final double DOUBLE_BACKPROPAGATED = 109, DOUBLE_FORWARD_ONLY = 78.4, SINGLE = 127;
    static final double ADAPTER_IN = 2, ADAPTER_OUT = 5, ADAPTER_RANK = 2;
    static final double OUTSIDE_WIDTH = 2.34, OUTSIDE_CHANNELS = 10.6;
    static final double CKPT_OUTSIDE_WIDTH = 16, CKPT_OUTSIDE_CHANNELS = 7.6, CKPT_DOUBLE_KEPT = 5, CKPT_SINGLE_KEPT = 2, CKPT_PEAK_LESS = 2;
    static final int BYTES_PER_VALUE = 4;

    /**
     * Bytes of one training step of {@code batch} samples of {@code imageTokens} image and {@code textTokens} text
     * tokens, with LoRA layers of {@code rank} on the Linear layers named in {@code adapted} (official names), or with
     * every weight trained when {@code full} (every stream backpropagated, no LoRA branches), with or without
     * gradient checkpointing.
     */
    public static long bytes(Flux2Config c, Set<String> adapted, int rank, boolean full, long imageTokens, long textTokens, int batch,
                             boolean checkpointing) {
        Map<String, Flux2Linears.Size> linears = Flux2Linears.of(c);
        double d = (c.hiddenSize() + (double) c.mlpHidden()) / 4; // the width D at mlp_ratio 3
        double w = c.hiddenSize();
        double perSample = 0, keptPerSample = 0, largestBlock = 0;
        boolean imgUpstream = full, txtUpstream = full;
        for (int i = 0; i < c.depth(); i++) {
            String p = "double_blocks." + i + ".";
            double imgAdapters = adapters(linears, adapted, p + "img_", rank), txtAdapters = adapters(linears, adapted, p + "txt_", rank);
            imgUpstream |= imgAdapters > 0;
            txtUpstream |= txtAdapters > 0;
            double block = imageTokens * ((imgUpstream ? DOUBLE_BACKPROPAGATED : DOUBLE_FORWARD_ONLY) * d + imgAdapters)
                    + textTokens * ((txtUpstream ? DOUBLE_BACKPROPAGATED : DOUBLE_FORWARD_ONLY) * d + txtAdapters);
            perSample += block;
            largestBlock = Math.max(largestBlock, block);
            keptPerSample += (imageTokens + textTokens) * CKPT_DOUBLE_KEPT * w;
        }
        for (int i = 0; i < c.depthSingleBlocks(); i++) {
            double block = (imageTokens + textTokens) * (SINGLE * d + adapters(linears, adapted, "single_blocks." + i + ".", rank));
            perSample += block;
            largestBlock = Math.max(largestBlock, block);
            keptPerSample += (imageTokens + textTokens) * CKPT_SINGLE_KEPT * w;
        }
        double text = textTokens * (double) c.contextInDim();
        double total;
        if (checkpointing) {
            double outside = imageTokens * (CKPT_OUTSIDE_WIDTH * w + CKPT_OUTSIDE_CHANNELS * c.inChannels()) + text;
            double peak = largestBlock - (imageTokens + textTokens) * CKPT_PEAK_LESS * w;
            total = outside + keptPerSample + Math.max(0, peak);
        } else {
            total = imageTokens * (OUTSIDE_WIDTH * w + OUTSIDE_CHANNELS * c.inChannels()) + text + perSample;
        }
        return Math.round(total * BYTES_PER_VALUE * batch);
    }

    /** Values per token that the LoRA layers on Linears whose names start with {@code prefix} add. */
    private static double adapters(Map<String, Flux2Linears.Size> linears, Set<String> adapted, String prefix, int rank) {
        double sum = 0;
        for (var e : linears.entrySet())
            if (e.getKey().startsWith(prefix) && adapted.contains(e.getKey()))
                sum += ADAPTER_IN * e.getValue().in() + ADAPTER_OUT * e.getValue().out() + ADAPTER_RANK * rank;
        return sum;
    }
}
