package flux2.tensor;

import java.util.concurrent.atomic.AtomicLong;

/** Process-wide counters of off-heap tensor bytes: live, peak since the last reset, and mapped. */
public final class MemoryStats {
    private static final AtomicLong LIVE = new AtomicLong();
    private static final AtomicLong PEAK = new AtomicLong();
    private static final AtomicLong MAPPED = new AtomicLong();

    private MemoryStats() {}

    static void allocated(long bytes) {
        long now = LIVE.addAndGet(bytes);
        PEAK.accumulateAndGet(now, Math::max);
    }

    static void freed(long bytes) { LIVE.addAndGet(-bytes); }

    public static void mapped(long bytes) { MAPPED.addAndGet(bytes); }

    public static void unmapped(long bytes) { MAPPED.addAndGet(-bytes); }

    /** Bytes currently allocated in open arenas. */
    public static long liveBytes() { return LIVE.get(); }

    /** Highest {@link #liveBytes()} seen since the last {@link #resetPeak()}. */
    public static long peakBytes() { return PEAK.get(); }

    /** Bytes of files currently memory-mapped for tensors (not counted as live). */
    public static long mappedBytes() { return MAPPED.get(); }

    public static void resetPeak() { PEAK.set(LIVE.get()); }
}
