package flux2.tensor;

/**
 * Options of scaled-dot-product attention.
 *
 * @param scale  multiplier of q.k (usually 1/sqrt(head_dim))
 * @param causal query i sees keys j <= i + (Lk - Lq), i.e. aligned at the end as in decoders
 */
public record AttentionSpec(double scale, boolean causal) {
    public static AttentionSpec of(int headDim) { return new AttentionSpec(1.0 / Math.sqrt(headDim), false); }

    public AttentionSpec withCausal(boolean c) { return new AttentionSpec(scale, c); }
}
