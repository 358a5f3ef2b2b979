package flux2.trainer.train;

import java.util.Arrays;

/**
 * What {@link CheckpointCheck} keeps of a run's past ({@code check_history} in training_state.json, so a resumed run
 * judges as a straight one): the largest absolute weight when the run began, the running mean of the step loss
 * (exponential, weight 0.1 on the newest step, as the loss curve draws it), the lowest running mean once
 * {@link CheckpointCheck#WINDOW} steps are in, the number of steps, and the losses of the last steps.
 */
public record CheckHistory(double startMaxAbsWeight, double lossEma, double bestLossEma, long steps, double[] recentLosses) {
    public CheckHistory {
        recentLosses = recentLosses.clone();
    }

    /** The history of a run that begins with weights whose largest absolute value is {@code startMaxAbsWeight}. */
    public static CheckHistory start(double startMaxAbsWeight) {
        return new CheckHistory(startMaxAbsWeight, Double.NaN, Double.POSITIVE_INFINITY, 0, new double[0]);
    }

    /** The history after one more step of (finite) loss {@code loss}. */
    public CheckHistory plus(double loss) {
        double ema = steps == 0 ? loss : 0.9 * lossEma + 0.1 * loss;
        long n = steps + 1;
        double best = n >= CheckpointCheck.WINDOW ? Math.min(bestLossEma, ema) : bestLossEma;
        double[] recent = Arrays.copyOfRange(recentLosses, Math.max(0, recentLosses.length + 1 - CheckpointCheck.WINDOW), recentLosses.length + 1);
        recent[recent.length - 1] = loss;
        return new CheckHistory(startMaxAbsWeight, ema, best, n, recent);
    }

    /** The mean loss of the last steps (up to {@link CheckpointCheck#WINDOW}); NaN before the first. */
    public double recentMean() {
        return recentLosses.length == 0 ? Double.NaN : Arrays.stream(recentLosses).average().orElse(Double.NaN);
    }

    @Override
    public double[] recentLosses() { return recentLosses.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckHistory h && Double.compare(h.startMaxAbsWeight, startMaxAbsWeight) == 0 && Double.compare(h.lossEma, lossEma) == 0
                && Double.compare(h.bestLossEma, bestLossEma) == 0 && h.steps == steps && Arrays.equals(h.recentLosses, recentLosses);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(lossEma) * 31 + Long.hashCode(steps) * 17 + Arrays.hashCode(recentLosses);
    }
}
