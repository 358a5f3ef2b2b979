package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * Judges the numbers a checkpoint holds before it counts as good. A checkpoint is good when
 * <ol>
 *   <li>every trained weight and every AdamW moment is finite;</li>
 *   <li>the largest absolute trained weight is at most {@value #WEIGHT_GROWTH} times max(1, the largest at the start
 *       of the run): weights that grew a thousandfold have exploded (an AdamW step moves a weight by about the
 *       learning rate, so sane rates take far longer than a run to get there);</li>
 *   <li>once {@value #WINDOW} steps have been trained, the mean loss of the last {@value #WINDOW} steps is at most
 *       {@value #LOSS_GROWTH} times the lowest running mean of the loss so far (exponential, weight 0.1 on the
 *       newest step): the loss has not blown up against its own history.</li>
 * </ol>
 * A step's loss is measured before its update, so the loss criterion sees an explosion a step late; the weight
 * criteria see the checkpoint's own weights.
 */
public final class CheckpointCheck {
    /** Growth of the largest absolute weight over its start (or over 1) that counts as exploded. */
    public static final double WEIGHT_GROWTH = 1000;
    /** Growth of the recent mean loss over its best running mean that counts as blown up. */
    public static final double LOSS_GROWTH = 10;
    /** Steps in the recent mean, and steps before the loss criterion applies. */
    public static final int WINDOW = 10;

    private CheckHistory history;

    private CheckpointCheck(CheckHistory history) {
        this.history = history;
    }

    /** A check for a run whose trained weights are now {@code params} (a new run, or one resumed from an unchecked checkpoint). */
    public static CheckpointCheck start(Collection<Parameter> params) {
        return new CheckpointCheck(CheckHistory.start(maxAbs(params)));
    }

    /** A check that goes on from a checkpoint's history. */
    public static CheckpointCheck resume(CheckHistory history) {
        return new CheckpointCheck(history);
    }

    /** Adds one optimizer step's loss. */
    public void record(double loss) {
        history = history.plus(loss);
    }

    /** The history to save with a checkpoint. */
    public CheckHistory history() { return history; }

    /** The verdict on the run's current weights and optimizer state. */
    public CheckpointVerdict judge(Map<String, Parameter> params, AdamW optimizer) {
        double maxAbs = 0;
        String nonFinite = null;
        for (var e : params.entrySet()) {
            Stat s = stat(e.getValue().value());
            if (!s.finite() && nonFinite == null) nonFinite = "weight '" + e.getKey() + "'";
            if (s.finite()) maxAbs = Math.max(maxAbs, s.maxAbs());
        }
        if (nonFinite == null)
            for (var e : optimizer.exportState().entrySet())
                if (!stat(e.getValue()).finite()) {
                    nonFinite = "optimizer moment '" + e.getKey() + "'";
                    break;
                }
        double recent = history.recentMean();
        if (nonFinite != null) return new CheckpointVerdict(false, nonFinite + " is not finite (NaN or infinite)", maxAbs, recent);
        double limit = WEIGHT_GROWTH * Math.max(1, history.startMaxAbsWeight());
        if (maxAbs > limit)
            return new CheckpointVerdict(false, String.format(Locale.ROOT, "the largest |weight| is %.3g, over %.0f x max(1, %.3g at the start of the run)",
                    maxAbs, WEIGHT_GROWTH, history.startMaxAbsWeight()), maxAbs, recent);
        double best = history.bestLossEma();
        if (history.steps() >= WINDOW && best > 0 && Double.isFinite(best) && recent > LOSS_GROWTH * best)
            return new CheckpointVerdict(false, String.format(Locale.ROOT, "the mean loss of the last %d steps is %.4g, over %.0f x the best running mean %.4g",
                    history.recentLosses().length, recent, LOSS_GROWTH, best), maxAbs, recent);
        return new CheckpointVerdict(true, "", maxAbs, recent);
    }

    /** The largest absolute finite value among {@code params} (0 for none). */
    static double maxAbs(Collection<Parameter> params) {
        double m = 0;
        for (Parameter p : params) {
            Stat s = stat(p.value());
            if (s.finite()) m = Math.max(m, s.maxAbs());
        }
        return m;
    }

    private record Stat(boolean finite, double maxAbs) {}

    /** Whether a tensor is all finite, and its largest absolute value; computed where the tensor lives. */
    private static Stat stat(Tensor t) {
        if (t.numel() == 0) return new Stat(true, 0);
        try (var a = TensorArena.open("checkpoint-check")) {
            // x * 0 is 0 for every finite x and NaN for NaN or an infinity, so the sum is finite exactly when all are
            boolean finite = Double.isFinite(t.mul(0).sum().item());
            return new Stat(finite, finite ? t.abs().max().item() : Double.NaN);
        }
    }
}
