package flux2.tensor.cpu;

import flux2.tensor.Parallel;

/** Runs a body once per row, on the worker pool when the rows hold enough work. */
final class RowTasks {
    /** Below this many elements of work one thread runs everything. */
    static final long PARALLEL_MIN = CpuElementwise.PARALLEL_MIN;
    private static final long GRAIN_ELEMENTS = 16 * 1024;

    /** A body for row {@code row}. */
    @FunctionalInterface
    interface Row { void run(long row); }

    private RowTasks() {}

    /** Runs body for rows 0..rows-1, where each row costs about {@code rowCost} element operations. */
    static void forRows(long rows, long rowCost, Row body) {
        long cost = Math.max(1, rowCost);
        if (rows * cost < PARALLEL_MIN) {
            for (long r = 0; r < rows; r++) body.run(r);
            return;
        }
        Parallel.forRange(rows, Math.max(1, GRAIN_ELEMENTS / cost), (w, s, e) -> {
            for (long r = s; r < e; r++) body.run(r);
        });
    }
}
