package flux2.dist.nccl;

import flux2.dist.control.Bootstrap;
import flux2.dist.control.CollectiveWait;
import flux2.dist.control.ControlChannel;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.collective.Checks;
import flux2.tensor.collective.CollectiveException;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.RankEnv;
import flux2.tensor.collective.Reduction;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * Collectives of CUDA ranks over NCCL, one GPU per process. Rank 0 makes the unique id and hands it to the others
 * at the TCP rendezvous of MASTER_ADDR:MASTER_PORT (the control channel, kept for the job). Operations run in place
 * on device memory, enqueued on the backend's stream after the work queued before them; the wait polls the stream,
 * NCCL's asynchronous error and the control channel, and a timeout aborts the communicator. A barrier is an
 * all-reduce of one float.
 */
public final class NcclCollectives implements Collectives {
    private final Nccl nccl;
    private final RankEnv env;
    private final Backend device;
    private final ControlChannel channel;
    private final MemorySegment comm;
    private final Tensor one;
    private long seq;
    private volatile boolean closed;

    private NcclCollectives(Nccl nccl, RankEnv env, Backend device, ControlChannel channel, MemorySegment comm) {
        this.nccl = nccl;
        this.env = env;
        this.device = device;
        this.channel = channel;
        this.comm = comm;
        this.one = Tensor.allocate(device, DType.F32, new int[] {1}, flux2.tensor.TensorArena.global());
        // a rank whose peer died may be stuck inside NCCL, where no poll sees it: end the process after a grace period
        channel.onFailure(why -> {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(Math.min(env.timeout().toMillis(), 30_000));
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) return;
                System.err.println("error: rank " + env.rank() + ": " + why + "; ending this rank");
                System.err.flush();
                Runtime.getRuntime().halt(1);
            }, "flux2-nccl-watchdog");
            t.setDaemon(true);
            t.start();
        });
    }

    /**
     * Joins the job: rendezvous (rank 0 hands out a new unique id), then ncclCommInitRank with the device's context
     * current on this thread.
     */
    public static NcclCollectives join(Nccl nccl, RankEnv env, Backend device) {
        ControlChannel ch;
        try {
            ch = Bootstrap.overTcp(env, env.rank() == 0 ? nccl.uniqueId() : null);
        } catch (IOException e) {
            throw new CollectiveException("rank " + env.rank() + ": " + e.getMessage(), e);
        }
        byte[] id = ch.payload();
        MemorySegment comm = device.withNativeQueue(stream -> nccl.initRank(env.worldSize(), id, env.rank()));
        return new NcclCollectives(nccl, env, device, ch, comm);
    }

    @Override public int rank() { return env.rank(); }

    @Override public int worldSize() { return env.worldSize(); }

    @Override
    public String describe() {
        return "NCCL " + Nccl.versionName(nccl.version()) + " (" + nccl.library + ") on " + device.name() + ", started by " + env.launcherName()
                + ": rank " + env.rank() + " of " + env.worldSize() + ", local rank " + env.localRank() + " of " + env.localWorldSize();
    }

    @Override public Duration timeout() { return env.timeout(); }

    @Override
    public void allReduce(Tensor t, Reduction op) {
        Checks.reducible("all-reduce", t);
        long p = pointer("all-reduce", t);
        int type = t.dtype() == DType.BF16 ? Nccl.BFLOAT16 : Nccl.FLOAT32;
        run("all-reduce", env.timeout(), stream -> nccl.allReduce(p, p, t.numel(), type, op == Reduction.AVG ? Nccl.AVG : Nccl.SUM, comm, stream));
    }

    @Override
    public void broadcast(Tensor t, int root) {
        Checks.root(root, env.worldSize());
        Checks.contiguous("broadcast", t);
        long p = pointer("broadcast", t);
        run("broadcast", env.timeout(), stream -> nccl.broadcast(p, p, t.dtype().bytesFor(t.numel()), Nccl.UINT8, root, comm, stream));
    }

    @Override
    public void allGather(Tensor in, Tensor out) {
        Checks.gather(in, out, env.worldSize());
        long src = pointer("all-gather", in), dst = pointer("all-gather", out);
        run("all-gather", env.timeout(), stream -> nccl.allGather(src, dst, in.dtype().bytesFor(in.numel()), Nccl.UINT8, comm, stream));
    }

    @Override
    public void barrier(Duration timeout) {
        long p = pointer("barrier", one);
        run("barrier", timeout, stream -> nccl.allReduce(p, p, 1, Nccl.FLOAT32, Nccl.SUM, comm, stream));
    }

    /** A tensor's device address; the tensor must be on this job's device. */
    private long pointer(String op, Tensor t) {
        if (t.backend() != device)
            throw new IllegalArgumentException(op + ": NCCL works on " + device.name() + " tensors, this one is on " + t.backend().name());
        return t.segment().address() + t.byteOffset();
    }

    /** Enqueues an NCCL call on the device's stream and waits for it with a timeout. */
    private void run(String what, Duration timeout, java.util.function.Consumer<MemorySegment> enqueue) {
        if (closed) throw new IllegalStateException("the NCCL collectives are closed");
        long id = ++seq;
        channel.arrive(id);
        device.withNativeQueue(stream -> {
            enqueue.accept(stream);
            return null;
        });
        try {
            CollectiveWait.await(() -> {
                int err = nccl.asyncError(comm);
                if (err != 0) throw new NcclException("rank " + env.rank() + ": " + what + " #" + id + " failed: " + nccl.errorString(err));
                return device.isIdle();
            }, channel, id, what, timeout);
        } catch (CollectiveException e) {
            abortCommunicator();
            throw e;
        }
    }

    private void abortCommunicator() {
        if (closed) return;
        closed = true;
        try {
            nccl.abort(comm);
        } catch (RuntimeException e) {
            // the communicator is broken either way
        }
    }

    @Override
    public void abort(String message) {
        channel.abort(message);
        abortCommunicator();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        channel.close();
        nccl.destroy(comm);
    }
}
