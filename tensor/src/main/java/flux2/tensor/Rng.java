package flux2.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Seeded random tensors that are identical whatever the thread count: the elements are cut into fixed chunks,
 * and each chunk draws from its own generator seeded by (seed, call number, chunk number).
 * Successive calls on one Rng give different values, like a torch.Generator.
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

    public Tensor fillUniform(Tensor t, double lo, double hi) {
        return fill(t, (r, buf, n) -> {
            for (int i = 0; i < n; i++) buf[i] = (float) (lo + (hi - lo) * r.nextDouble());
        });
    }

    public Tensor fillNormal(Tensor t, double mean, double std) {
        return fill(t, (r, buf, n) -> {
            ZigguratSampler.NormalizedGaussian g = ZigguratSampler.NormalizedGaussian.of(r);
            for (int i = 0; i < n; i++) buf[i] = (float) (mean + std * g.sample());
        });
    }

    private interface ChunkFiller { void fill(UniformRandomProvider r, float[] buf, int n); }

    private Tensor fill(Tensor t, ChunkFiller filler) {
        long call;
        synchronized (this) { call = calls++; }
        Tensor target = t.dtype() == DType.F32 && t.isContiguous() && t.backend().isHost() ? t : Tensor.zeros(DType.F32, t.shape());
        long n = target.numel();
        long chunks = (n + CHUNK - 1) / CHUNK;
        MemorySegment seg = target.segment();
        long base = target.byteOffset();
        Parallel.forRange(chunks, 1, (w, c0, c1) -> {
            float[] buf = new float[CHUNK];
            for (long c = c0; c < c1; c++) {
                int len = (int) Math.min(CHUNK, n - c * CHUNK);
                UniformRandomProvider r = RandomSource.XO_RO_SHI_RO_128_PP.create(new long[]{mix(seed, call), mix(~seed, c)});
                filler.fill(r, buf, len);
                MemorySegment.copy(buf, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, base + c * CHUNK * 4, len);
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
