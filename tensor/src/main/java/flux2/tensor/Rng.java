package flux2.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Seeded random tensors that are identical whatever the thread count: the elements are cut into fixed chunks,
 * and each chunk draws from its own generator seeded by (seed, call number, chunk number).
 * Successive calls on one Rng give different values, like a torch.Generator. A draw may also be asked for a
 * {@link BatchSlice} of a batch: it gives those samples' values of the whole batch's draw, computing only them
 * (and at most the start of two chunks), so ranks of a data-parallel run draw what one process would.
 */
public final class Rng {
    static final int CHUNK = 1 << 16;

    private final long seed;
    private long calls;

    public Rng(long seed) { this.seed = seed; }

    public long seed() { return seed; }

    /** Number of tensors drawn so far; with {@link #setCalls} it lets a checkpoint resume the stream. */
    public synchronized long calls() { return calls; }

    public synchronized void setCalls(long c) { calls = c; }

    /** F32 tensor of uniform values in [lo, hi). */
    public Tensor uniform(double lo, double hi, int... shape) {
        return fillUniform(Tensor.zeros(DType.F32, shape), lo, hi);
    }

    /** F32 tensor of normal values with the given mean and standard deviation. */
    public Tensor normal(double mean, double std, int... shape) {
        return fillNormal(Tensor.zeros(DType.F32, shape), mean, std);
    }

    /**
     * The samples {@code rows} of what {@link #uniform(double, double, int...)} would draw for the whole batch:
     * {@code shape} is this slice's (its elements divide evenly into {@code rows.count()} samples).
     */
    public Tensor uniform(double lo, double hi, BatchSlice rows, int... shape) {
        return fill(Tensor.zeros(DType.F32, shape), uniformFiller(lo, hi), rows);
    }

    /** The samples {@code rows} of what {@link #normal(double, double, int...)} would draw for the whole batch. */
    public Tensor normal(double mean, double std, BatchSlice rows, int... shape) {
        return fill(Tensor.zeros(DType.F32, shape), normalFiller(mean, std), rows);
    }

    public Tensor fillUniform(Tensor t, double lo, double hi) {
        return fill(t, uniformFiller(lo, hi), null);
    }

    public Tensor fillNormal(Tensor t, double mean, double std) {
        return fill(t, normalFiller(mean, std), null);
    }

    private static ChunkFiller uniformFiller(double lo, double hi) {
        return (r, buf, n) -> {
            for (int i = 0; i < n; i++) buf[i] = (float) (lo + (hi - lo) * r.nextDouble());
        };
    }

    private static ChunkFiller normalFiller(double mean, double std) {
        return (r, buf, n) -> {
            ZigguratSampler.NormalizedGaussian g = ZigguratSampler.NormalizedGaussian.of(r);
            for (int i = 0; i < n; i++) buf[i] = (float) (mean + std * g.sample());
        };
    }

    private interface ChunkFiller { void fill(UniformRandomProvider r, float[] buf, int n); }

    /**
     * Fills t with elements [start, start + numel) of one call's draw over {@code total} elements, where rows
     * (null: the whole tensor) says which samples of the whole batch t holds. Each chunk's values come in
     * sequence from its own generator, so a chunk that the slice enters in its middle is drawn from its start.
     */
    private Tensor fill(Tensor t, ChunkFiller filler, BatchSlice rows) {
        long call;
        synchronized (this) { call = calls++; }
        Tensor target = t.dtype() == DType.F32 && t.isContiguous() && t.backend().isHost() ? t : Tensor.zeros(DType.F32, t.shape());
        long n = target.numel();
        long start = 0, total = n;
        if (rows != null && !rows.isWhole()) {
            if (rows.count() == 0 ? n != 0 : n % rows.count() != 0)
                throw new IllegalArgumentException("a draw of " + n + " elements cannot hold " + rows.count() + " samples of equal size");
            long perSample = rows.count() == 0 ? 0 : n / rows.count();
            start = perSample * rows.first();
            total = perSample * rows.total();
        }
        long end = start + n, first = start / CHUNK, chunks = n == 0 ? 0 : (end - 1) / CHUNK - first + 1;
        long from = start;
        MemorySegment seg = target.segment();
        long base = target.byteOffset();
        long all = total;
        Parallel.forRange(chunks, 1, (w, c0, c1) -> {
            float[] buf = new float[CHUNK];
            for (long k = c0; k < c1; k++) {
                long c = first + k, chunkStart = c * CHUNK;
                int len = (int) (Math.min(Math.min(CHUNK, all - chunkStart), end - chunkStart));
                UniformRandomProvider r = RandomSource.XO_RO_SHI_RO_128_PP.create(new long[]{mix(seed, call), mix(~seed, c)});
                filler.fill(r, buf, len);
                int skip = (int) Math.max(0, from - chunkStart);
                MemorySegment.copy(buf, skip, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, base + (chunkStart + skip - from) * 4, len - skip);
            }
        });
        if (target != t) t.copyFrom(target);
        return t;
    }

    /** SplitMix64 finaliser of two words, so that nearby seeds and counters give unrelated streams. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
