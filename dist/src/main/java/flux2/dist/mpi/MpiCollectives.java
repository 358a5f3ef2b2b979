package flux2.dist.mpi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import flux2.dist.control.CollectiveWait;
import flux2.dist.control.ControlChannel;
import flux2.dist.control.Bootstrap;
import flux2.dist.control.Watchdog;
import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.collective.Checks;
import flux2.tensor.collective.CollectiveException;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.HostBuffers;
import flux2.tensor.collective.RankEnv;
import flux2.tensor.collective.Reduction;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Collectives of ranks started by mpirun, over Open MPI's MPI_COMM_WORLD. Open MPI as Debian builds it is not
 * CUDA-aware, so tensors of a device backend go through host memory. F32 sums are MPI_Allreduce in place; MPI 3.1
 * has no BF16 type, so BF16 tensors are gathered as 16-bit words and summed in F32 in rank order on every rank. Data
 * moves in Open MPI's blocking collectives (its tuned algorithms, two to three times the bandwidth of the
 * non-blocking ones) under a {@link Watchdog} that ends the job when one outlasts the timeout; barriers, which may
 * wait for hours while rank 0 works alone, are MPI_Ibarrier polled with sleeps ({@link CollectiveWait}).
 */
public final class MpiCollectives implements Collectives {
    /** The largest element count of one MPI call (its count is a C int). */
    private static final int MAX_COUNT = 1 << 30;

    private final Mpi mpi;
    private final RankEnv env;
    private final Backend device;
    private final ControlChannel channel;
    private final Watchdog watchdog;
    private long seq;
    private boolean closed;

    private MpiCollectives(Mpi mpi, RankEnv env, Backend device, ControlChannel channel) {
        this.mpi = mpi;
        this.env = env;
        this.device = device;
        this.channel = channel;
        this.watchdog = new Watchdog(channel);
    }

    /** Initialises MPI in this process (a rank that mpirun started) and connects the control channel. */
    public static MpiCollectives join(Mpi mpi, RankEnv env, Backend device) {
        if (env.launcher() != RankEnv.Launcher.MPIRUN)
            throw new IllegalArgumentException("Open MPI collectives need ranks started by mpirun (mpirun -np N java -jar flux2-trainer.jar train ...); "
                    + "this process was started with " + env.launcherName());
        if (!mpi.isInitialized()) mpi.init();
        int rank = mpi.rank(), size = mpi.size();
        if (rank != env.rank() || size != env.worldSize())
            throw new IllegalStateException("MPI_COMM_WORLD says rank " + rank + " of " + size + ", mpirun's variables say rank " + env.rank() + " of " + env.worldSize());
        ControlChannel ch;
        try {
            ch = Bootstrap.overMpi(env, bytes -> broadcastBootstrap(mpi, bytes, env.timeout()));
        } catch (IOException e) {
            throw new CollectiveException("rank " + rank + ": " + e.getMessage(), e);
        }
        return new MpiCollectives(mpi, env, device, ch);
    }

    /** Broadcasts rank 0's rendezvous address (a fixed-size buffer) before there is a control channel. */
    private static byte[] broadcastBootstrap(Mpi mpi, byte[] fromRankZero, Duration timeout) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(Bootstrap.MESSAGE_BYTES), req = a.allocate(ADDRESS);
            if (fromRankZero != null) MemorySegment.copy(fromRankZero, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, fromRankZero.length);
            mpi.startBroadcast(buf, Bootstrap.MESSAGE_BYTES, 0, req);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!mpi.test(req)) {
                if (System.nanoTime() > deadline)
                    throw new CollectiveException("rank " + mpi.rank() + ": rank 0's rendezvous address did not arrive within " + timeout.toSeconds() + " s");
                Thread.onSpinWait();
            }
            return buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    @Override public int rank() { return env.rank(); }

    @Override public int worldSize() { return env.worldSize(); }

    @Override
    public String describe() {
        return mpi.version() + " (" + mpi.library + ", host memory), started by mpirun: rank " + env.rank() + " of " + env.worldSize()
                + ", local rank " + env.localRank() + " of " + env.localWorldSize();
    }

    @Override public Duration timeout() { return env.timeout(); }

    @Override
    public void allReduce(Tensor t, Reduction op) {
        Checks.reducible("all-reduce", t);
        long id = begin();
        if (t.dtype() == DType.BF16) {
            allReduceBf16(t, op, id);
            return;
        }
        Tensor host = t.backend().isHost() ? t : t.to(Backends.cpu());
        MemorySegment base = host.segment().asSlice(host.byteOffset(), 4 * host.numel());
        try (Watchdog.Armed w = watchdog.arm(id, "all-reduce", env.timeout())) {
            for (long at = 0; at < host.numel(); at += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, host.numel() - at);
                mpi.sum(base.asSlice(4 * at, 4L * n), n);
            }
        }
        if (op == Reduction.AVG) {
            float inv = 1f / env.worldSize();
            for (long i = 0; i < host.numel(); i++) base.setAtIndex(JAVA_FLOAT, i, base.getAtIndex(JAVA_FLOAT, i) * inv);
        }
        if (host != t) t.copyFrom(host);
    }

    /** BF16: every rank's 16-bit words gathered, then summed in F32 in rank order, so every rank rounds the same sum. */
    private void allReduceBf16(Tensor t, Reduction op, long id) {
        int world = env.worldSize();
        Tensor host = t.backend().isHost() ? t : t.to(Backends.cpu());
        Tensor all = Tensor.zeros(DType.BF16, world, (int) t.numel());
        gather(host, all, "all-reduce", id);
        HostBuffers.reduceBf16(all.segment().asSlice(all.byteOffset()), world, t.numel(), host.segment().asSlice(host.byteOffset()), op);
        if (host != t) t.copyFrom(host);
    }

    @Override
    public void broadcast(Tensor t, int root) {
        Checks.root(root, env.worldSize());
        Checks.contiguous("broadcast", t);
        long id = begin();
        Tensor host = t.backend().isHost() ? t : t.to(Backends.cpu());
        long bytes = host.dtype().bytesFor(host.numel());
        MemorySegment base = host.segment().asSlice(host.byteOffset(), bytes);
        try (Watchdog.Armed w = watchdog.arm(id, "broadcast", env.timeout())) {
            for (long at = 0; at < bytes; at += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, bytes - at);
                mpi.broadcast(base.asSlice(at, n), n, root);
            }
        }
        if (host != t && env.rank() != root) t.copyFrom(host);
    }

    @Override
    public void allGather(Tensor in, Tensor out) {
        Checks.gather(in, out, env.worldSize());
        long id = begin();
        Tensor hostIn = in.backend().isHost() ? in : in.to(Backends.cpu());
        Tensor hostOut = out.backend().isHost() ? out : Tensor.zeros(out.dtype(), out.shape());
        gather(hostIn, hostOut, "all-gather", id);
        if (hostOut != out) out.copyFrom(hostOut);
    }

    private void gather(Tensor in, Tensor out, String what, long id) {
        long bytes = in.dtype().bytesFor(in.numel());
        if (bytes > Integer.MAX_VALUE)
            throw new IllegalArgumentException(what + ": " + bytes + " bytes per rank is more than one MPI call carries (2 GiB)");
        try (Watchdog.Armed w = watchdog.arm(id, what, env.timeout())) {
            mpi.allGather(in.segment().asSlice(in.byteOffset(), bytes), (int) bytes, out.segment().asSlice(out.byteOffset(), bytes * env.worldSize()));
        }
    }

    @Override
    public void barrier(Duration timeout) {
        long id = begin();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment req = a.allocate(ADDRESS);
            mpi.startBarrier(req);
            await(req, "barrier", id, timeout);
        }
    }

    /** Numbers the next operation and tells the other ranks this rank has reached it. */
    private long begin() {
        if (closed) throw new IllegalStateException("the MPI collectives are closed");
        long id = ++seq;
        channel.arrive(id);
        return id;
    }

    /** Waits for a non-blocking operation, polling it (MPI_Test drives its progress). */
    private void await(MemorySegment req, String what, long id, Duration timeout) {
        CollectiveWait.await(() -> mpi.test(req), channel, id, what, timeout);
    }

    /** Tells the other ranks why, then MPI_Abort: mpirun ends every process of the job (this one too). */
    @Override
    public void abort(String message) {
        channel.abort(message);
        try {
            Thread.sleep(200); // let the message reach the other ranks before mpirun ends them
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        System.err.flush();
        mpi.abort(1);
    }

    /** Closes the control channel and finalises MPI (the last operation of the process on MPI). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        channel.close();
        if (!mpi.isFinalized()) mpi.finish();
    }
}
