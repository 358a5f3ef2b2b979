package flux2.bench.cli;

/**
 * Times a repeated action the same way for every benchmark: a warm-up long enough for the JIT to compile the
 * kernels, then several runs, each repeating the action until it lasts a minimum time; the best run counts
 * (the fastest is the least disturbed by other load on the machine).
 */
final class BenchTimer {
    private final double warmupSeconds;
    private final int runs;
    private final double minRunSeconds;

    BenchTimer(double warmupSeconds, int runs, double minRunSeconds) {
        if (warmupSeconds < 0 || runs < 1 || minRunSeconds < 0)
            throw new IllegalArgumentException("warm-up must be >= 0 s, runs >= 1 and the run time >= 0 s; got "
                    + warmupSeconds + ", " + runs + ", " + minRunSeconds);
        this.warmupSeconds = warmupSeconds;
        this.runs = runs;
        this.minRunSeconds = minRunSeconds;
    }

    /** Best seconds per call of action over the timed runs, after the warm-up (at least 3 calls). */
    double bestSecondsPerCall(Runnable action) {
        long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) action.run();
        double best = Double.POSITIVE_INFINITY;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime(), now;
            int calls = 0;
            do {
                action.run();
                calls++;
                now = System.nanoTime();
            } while (now - start < minRunSeconds * 1e9);
            best = Math.min(best, (now - start) / 1e9 / calls);
        }
        return best;
    }
}
