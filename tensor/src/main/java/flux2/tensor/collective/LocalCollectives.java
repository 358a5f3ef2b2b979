package flux2.tensor.collective;

import flux2.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collectives between threads of one JVM, one thread per rank: for tests of data-parallel code without a launcher.
 * Each operation is numbered; a rank waits until every rank has brought its part of the same operation, then
 * computes the result from all parts in rank order (so every rank gets the same bits). A rank that does not come
 * within the timeout is named in the error, with the last operation it reached.
 */
public final class LocalCollectives implements Collectives {
    /** What the ranks of one group share. */
    private static final class Group {
        final int size;
        final Duration timeout;
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        final Map<Long, Op> ops = new HashMap<>();
        final long[] reached;
        String aborted;

        Group(int size, Duration timeout) {
            this.size = size;
            this.timeout = timeout;
            this.reached = new long[size];
        }
    }

    /** The parts of one numbered operation. */
    private static final class Op {
        final String name;
        final Object[] parts;
        int arrived, left;

        Op(String name, int size) {
            this.name = name;
            this.parts = new Object[size];
        }
    }

    private final Group group;
    private final int rank;
    private long next = 1;

    private LocalCollectives(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** The ranks 0 .. n-1 of a new group; give each to its own thread. */
    public static List<Collectives> group(int n, Duration timeout) {
        if (n < 1) throw new IllegalArgumentException("a group needs at least one rank, got " + n);
        Group g = new Group(n, timeout);
        List<Collectives> out = new ArrayList<>();
        for (int r = 0; r < n; r++) out.add(new LocalCollectives(g, r));
        return List.copyOf(out);
    }

    @Override public int rank() { return rank; }

    @Override public int worldSize() { return group.size; }

    @Override public String describe() { return "in-JVM collectives, rank " + rank + " of " + group.size; }

    @Override public Duration timeout() { return group.timeout; }

    @Override
    public void allReduce(Tensor t, Reduction op) {
        Checks.reducible("all-reduce", t);
        Object[] parts = exchange("all-reduce", HostBuffers.floats(t), group.timeout);
        float[][] byRank = new float[parts.length][];
        for (int r = 0; r < parts.length; r++) byRank[r] = (float[]) parts[r];
        HostBuffers.write(t, HostBuffers.reduce(byRank, op));
    }

    @Override
    public void broadcast(Tensor t, int root) {
        Checks.root(root, group.size);
        Checks.contiguous("broadcast", t);
        Object[] parts = exchange("broadcast", rank == root ? HostBuffers.bytes(t) : null, group.timeout);
        if (rank != root) HostBuffers.write(t, (byte[]) parts[root], 0);
    }

    @Override
    public void allGather(Tensor in, Tensor out) {
        Checks.gather(in, out, group.size);
        Object[] parts = exchange("all-gather", HostBuffers.bytes(in), group.timeout);
        int each = ((byte[]) parts[0]).length;
        byte[] all = new byte[each * group.size];
        for (int r = 0; r < parts.length; r++) System.arraycopy((byte[]) parts[r], 0, all, r * each, each);
        HostBuffers.write(out, all, 0);
    }

    @Override
    public void barrier(Duration timeout) { exchange("barrier", null, timeout); }

    @Override
    public void abort(String message) {
        group.lock.lock();
        try {
            if (group.aborted == null) group.aborted = "rank " + rank + " ended the job: " + message;
            group.changed.signalAll();
        } finally {
            group.lock.unlock();
        }
    }

    @Override public void close() {}

    /** Brings this rank's part of the next operation and returns every rank's part once all have come. */
    private Object[] exchange(String name, Object part, Duration timeout) {
        long id = next++;
        Group g = group;
        g.lock.lock();
        try {
            if (g.aborted != null) throw new CollectiveException(g.aborted);
            Op op = g.ops.computeIfAbsent(id, k -> new Op(name, g.size));
            if (!op.name.equals(name))
                throw new CollectiveException("rank " + rank + " called " + name + " #" + id + " where another rank called " + op.name
                        + ": the ranks no longer run the same operations");
            op.parts[rank] = part;
            op.arrived++;
            g.reached[rank] = id;
            g.changed.signalAll();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (op.arrived < g.size && g.aborted == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new CollectiveException(timedOut(name, id, timeout));
                try {
                    g.changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CollectiveException("rank " + rank + " was interrupted in " + name + " #" + id, e);
                }
            }
            if (g.aborted != null) throw new CollectiveException(g.aborted);
            if (++op.left == g.size) g.ops.remove(id);
            return op.parts.clone();
        } finally {
            g.lock.unlock();
        }
    }

    private String timedOut(String name, long id, Duration timeout) {
        StringJoiner missing = new StringJoiner(", ");
        for (int r = 0; r < group.size; r++)
            if (group.reached[r] < id) missing.add("rank " + r + (group.reached[r] == 0 ? " (no operation yet)" : " (last at #" + group.reached[r] + ")"));
        return "rank " + rank + ": " + name + " #" + id + " did not complete within " + timeout.toMillis() / 1000.0 + " s: "
                + missing + " did not reach it";
    }
}
