package flux2.tensor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CPU worker pool: a fixed set of daemon threads plus the calling thread. Kernels split their work into
 * ranges with {@link #forRange}; a call made from inside a worker runs serially, so kernels may nest.
 * (The common ForkJoin pool is not used: on 2 CPUs its parallelism is 1.)
 */
public final class Parallel {
    /** A body over the half-open range [start, end), run by thread number {@code worker}. */
    @FunctionalInterface
    public interface RangeBody { void run(int worker, long start, long end); }

    private static volatile int threads = defaultThreads();
    private static Worker[] workers = new Worker[0];
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    private static int defaultThreads() {
        String p = System.getProperty("flux2.threads");
        if (p == null) p = System.getenv("FLUX2_THREADS");
        if (p != null) {
            try {
                return Math.max(1, Integer.parseInt(p.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("flux2.threads / FLUX2_THREADS must be a positive integer, got '" + p + "'");
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The number of threads kernels use (the caller included). */
    public static int threads() { return threads; }

    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + n);
        threads = n;
    }

    /** True on a pool thread (or inside a parallel body on the caller): nested calls run serially. */
    public static boolean inParallelRegion() { return IN_WORKER.get(); }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} contiguous ranges whose sizes are multiples
     * of {@code grain} (except the last), one per thread, and waits for all of them.
     */
    public static void forRange(long n, long grain, RangeBody body) {
        if (n <= 0) return;
        int t = threads;
        long g = Math.max(1, grain);
        long chunks = (n + g - 1) / g;
        int parts = (int) Math.min(t, chunks);
        if (parts <= 1 || IN_WORKER.get()) {
            boolean was = IN_WORKER.get();
            IN_WORKER.set(true);
            try {
                body.run(0, 0, n);
            } finally {
                IN_WORKER.set(was);
            }
            return;
        }
        Worker[] pool = pool(parts - 1);
        long perPart = (chunks + parts - 1) / parts * g;
        CountDownLatch done = new CountDownLatch(parts - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int launched = 0;
        for (int p = 1; p < parts; p++) {
            long s = p * perPart, e = Math.min(n, s + perPart);
            if (s >= e) { done.countDown(); continue; }
            final int worker = p;
            pool[p - 1].submit(() -> {
                try {
                    body.run(worker, s, e);
                } catch (Throwable x) {
                    failure.compareAndSet(null, x);
                } finally {
                    done.countDown();
                }
            });
            launched++;
        }
        IN_WORKER.set(true);
        try {
            body.run(0, 0, Math.min(n, perPart));
        } catch (Throwable x) {
            failure.compareAndSet(null, x);
        } finally {
            IN_WORKER.set(false);
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for worker threads", e);
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error err) throw err;
        if (f != null) throw new IllegalStateException(f);
    }

    private static synchronized Worker[] pool(int n) {
        if (workers.length < n) {
            Worker[] w = java.util.Arrays.copyOf(workers, n);
            for (int i = workers.length; i < n; i++) w[i] = new Worker(i + 1);
            workers = w;
        }
        return workers;
    }

    private static final class Worker {
        private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();

        Worker(int id) {
            Thread th = new Thread(() -> {
                IN_WORKER.set(true);
                while (true) {
                    try {
                        queue.take().run();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "flux2-cpu-" + id);
            th.setDaemon(true);
            th.start();
        }

        void submit(Runnable r) { queue.add(r); }
    }
}
