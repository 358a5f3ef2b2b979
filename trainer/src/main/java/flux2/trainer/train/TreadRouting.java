package flux2.trainer.train;

import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.tread.TreadConfig;
import flux2.model.flux2.tread.TreadRouter;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.SeededRandom;
import java.util.List;
import java.util.Locale;

/**
 * TREAD routing for the training steps of a run ({@code tread_config}). Each micro-batch gets its own router seeded
 * from (seed, micro-batch number) alone, so the per-sample token selections of a resumed run are those of a straight
 * one without any state in the checkpoint. Validation and sampling never get a router.
 */
final class TreadRouting {
    private final TreadConfig config;
    private final long seed;

    private TreadRouting(TreadConfig config, long seed) {
        this.config = config;
        this.seed = seed;
    }

    /**
     * The routing of a run, or null without tread_config. The windows are checked against the model's blocks here
     * (indices depend on its depth); a bad one is an error naming the config file and the key.
     */
    static TreadRouting of(TrainConfig c, Flux2Transformer model, long seed, java.io.PrintStream out) {
        TreadConfig t = c.conditioning().tread();
        if (t == null) return null;
        int blocks = model.doubleBlocks.size() + model.singleBlocks.size();
        List<TreadConfig.Window> windows;
        try {
            windows = t.resolve(blocks);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(c.configFile() + ": " + e.getMessage().replace("invalid tread_config:", "tread_config does not fit this model ("
                    + model.doubleBlocks.size() + " double + " + model.singleBlocks.size() + " single blocks, indices -" + blocks + ".." + (blocks - 1) + "):"));
        }
        StringBuilder sb = new StringBuilder("TREAD: ");
        for (TreadConfig.Window w : windows)
            sb.append(String.format(Locale.ROOT, "%s%.0f%% of image tokens skip blocks %d..%d", sb.length() > 7 ? "; " : "", 100 * w.selectionRatio(), w.start(), w.end()));
        out.println(sb.append(" (training steps only)"));
        return new TreadRouting(t, seed);
    }

    /** The router of micro-batch {@code micro} (counted over the whole run from 0). */
    TreadRouter router(long micro) {
        return router(micro, null);
    }

    /** The router of micro-batch {@code micro} for forwards that hold the samples {@code slice} of it (null: all). */
    TreadRouter router(long micro, flux2.tensor.BatchSlice slice) {
        return new TreadRouter(config, SeededRandom.mix(seed, 0x7472656164L, micro), slice);
    }
}
