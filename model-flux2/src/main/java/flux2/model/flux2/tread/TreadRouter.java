package flux2.model.flux2.tread;

import flux2.tensor.BatchSlice;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import java.util.List;

/**
 * Draws TREAD selections for training forwards: per route and per sample a seeded uniform random choice of the
 * image tokens that skip the route's window. Pass it to the transformer's forward only in training steps;
 * validation and sampling call the forward without a router and never route.
 */
public final class TreadRouter {
    private final TreadConfig config;
    private final Rng rng;
    private final BatchSlice slice;

    public TreadRouter(TreadConfig config, long seed) {
        this(config, seed, null);
    }

    /**
     * A router for forwards that hold the samples {@code slice} of the micro-batch (a data-parallel rank's share; null:
     * all): each sample's selection is the one a forward of the whole micro-batch draws for its position.
     */
    public TreadRouter(TreadConfig config, long seed, BatchSlice slice) {
        this.config = config;
        this.rng = new Rng(seed);
        this.slice = slice;
    }

    public TreadConfig config() { return config; }

    /** The random stream (its call count lets a resumed run continue the same selections). */
    public Rng rng() { return rng; }

    /** The route windows for a model of {@code totalBlocks} blocks (validated; see {@link TreadConfig#resolve}). */
    public List<TreadConfig.Window> windows(int totalBlocks) { return config.resolve(totalBlocks); }

    /**
     * A selection for {@code batch} samples of {@code tokens} image tokens: K = S - round(S * ratio) kept (at
     * least one), or null when no token would be routed (ratio 0 or few tokens), so that the step is exactly
     * the unrouted one.
     */
    public TokenSelection select(TreadConfig.Window w, int batch, int tokens) {
        int skipped = (int) Math.min(Math.rint(tokens * w.selectionRatio()), tokens - 1);
        if (skipped <= 0) return null;
        Tensor u = slice != null && !slice.isWhole() && slice.count() == batch
                ? rng.uniform(0, 1, slice, batch, tokens) : rng.uniform(0, 1, batch, tokens);
        float[] score = u.toFloatArray();
        int[][] order = new int[batch][];
        for (int b = 0; b < batch; b++) {
            int base = b * tokens;
            // ascending score: the lowest K scores run through the window (ties by position, so fully determined)
            order[b] = java.util.stream.IntStream.range(0, tokens).boxed()
                    .sorted((i, j) -> {
                        int c = Float.compare(score[base + i], score[base + j]);
                        return c != 0 ? c : Integer.compare(i, j);
                    })
                    .mapToInt(Integer::intValue).toArray();
        }
        return new TokenSelection(order, tokens - skipped);
    }
}
