package flux2.trainer.progress;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A one-line progress bar (label, bar, done/total, elapsed and ETA, seconds per unit and an extra text such as
 * the loss), drawn by the progressbar library on {@code out} and ended by {@link #finish}.
 */
public final class ProgressLine {
    private static final int WIDTH = 110;
    private final ProgressBar bar;
    private final long startNanos = System.nanoTime();
    private final long startDone;

    public ProgressLine(PrintStream out, String label, long total, long alreadyDone, long minMillis) {
        this.startDone = alreadyDone;
        this.bar = new ProgressBarBuilder()
                .setTaskName(label)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(out, WIDTH))
                .setUpdateIntervalMillis((int) Math.max(100, minMillis))
                .startsFrom(alreadyDone, Duration.ZERO)
                .setEtaFunction(state -> java.util.Optional.of(eta(state.getCurrent(), state.getMax())))
                .build();
    }

    /** Moves to {@code done} units with an extra text (may be empty). */
    public void update(long done, String extra) {
        bar.setExtraMessage(extra(done, extra));
        bar.stepTo(done);
    }

    /** Seconds per unit since the bar started (units done before it started are not counted). */
    public double secondsPerUnit(long done) {
        long n = done - startDone;
        return n <= 0 ? Double.NaN : (System.nanoTime() - startNanos) / 1e9 / n;
    }

    private Duration eta(long done, long total) {
        double spu = secondsPerUnit(done);
        return Double.isNaN(spu) ? Duration.ZERO : Duration.ofMillis(Math.round(spu * Math.max(0, total - done) * 1000));
    }

    private String extra(long done, String extra) {
        double spu = secondsPerUnit(done);
        String rate = Double.isNaN(spu) ? "" : String.format(Locale.ROOT, "%.2f s/it", spu);
        return extra.isEmpty() ? rate : rate.isEmpty() ? extra : extra + " " + rate;
    }

    /** Draws the final state and ends the line. */
    public void finish(long done, String extra) {
        update(done, extra);
        bar.close();
    }
}
