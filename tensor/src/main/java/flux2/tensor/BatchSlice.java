package flux2.tensor;

/**
 * The samples {@code first .. first + count - 1} of a batch of {@code total}: the share of one data-parallel rank.
 * Random draws over a batch take a slice so that each rank draws, for its samples, exactly the values a single
 * process would draw for the same positions of the whole batch ({@link Rng#normal(double, double, BatchSlice, int...)}).
 */
public record BatchSlice(int first, int count, int total) {
    public BatchSlice {
        if (total < 0 || first < 0 || count < 0 || first + count > total)
            throw new IllegalArgumentException("batch slice " + first + " + " + count + " does not fit a batch of " + total);
    }

    /** The whole of a batch of {@code n}. */
    public static BatchSlice whole(int n) { return new BatchSlice(0, n, n); }

    /** True when the slice is its whole batch. */
    public boolean isWhole() { return first == 0 && count == total; }

    /** True when the slice holds no sample (a rank whose share of a short batch is empty). */
    public boolean isEmpty() { return count == 0; }
}
