package flux2.trainer.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line text progress bar: {@code label [#####-----] done/total rate ETA extra}, redrawn in place with a
 * carriage return at most every {@code minMillis} and ended with a line break by {@link #finish}.
 */
public final class ProgressLine {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private final long startDone;
    private final long minMillis;
    private long lastDraw;

    public ProgressLine(PrintStream out, String label, long total, long alreadyDone, long minMillis) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.startDone = alreadyDone;
        this.minMillis = minMillis;
    }

    /** Redraws for {@code done} units with an extra text (may be empty). */
    public void update(long done, String extra) {
        long now = System.currentTimeMillis();
        if (done < total && now - lastDraw < minMillis) return;
        lastDraw = now;
        out.print("\r" + render(done, extra));
        out.flush();
    }

    /** Seconds per unit since the bar started (units done before it started are not counted). */
    public double secondsPerUnit(long done) {
        long n = done - startDone;
        return n <= 0 ? Double.NaN : (System.nanoTime() - startNanos) / 1e9 / n;
    }

    /** The text of the bar for {@code done} units. */
    public String render(long done, String extra) {
        int filled = total <= 0 ? WIDTH : (int) Math.min(WIDTH, WIDTH * done / total);
        double spu = secondsPerUnit(done);
        String eta = Double.isNaN(spu) ? "?" : duration(spu * Math.max(0, total - done));
        String rate = Double.isNaN(spu) ? "" : spu >= 1 ? String.format(Locale.ROOT, " %.2fs/it", spu) : String.format(Locale.ROOT, " %.1fit/s", 1 / spu);
        return label + " [" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + done + "/" + total + rate + " ETA " + eta
                + (extra.isEmpty() ? "" : " " + extra);
    }

    /** Ends the line. */
    public void finish(long done, String extra) {
        out.println("\r" + render(done, extra));
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
