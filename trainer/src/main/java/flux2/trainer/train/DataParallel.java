package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Backend;
import flux2.tensor.BatchSlice;
import flux2.tensor.DType;
import flux2.tensor.DeviceSpec;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.collective.CollectiveException;
import flux2.tensor.collective.CollectiveLibraries;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.HostBuffers;
import flux2.tensor.collective.RankEnv;
import flux2.tensor.collective.SingleProcess;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.Batch;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * This process's part in data-parallel training. Every rank forms the same global batches of num_processes x
 * train_batch_size samples, as one process with that batch size would; rank r trains on positions r*b .. r*b+b-1 of
 * each and draws their noise, timesteps and dropout as that process draws them for those positions. Gradients are
 * summed over the ranks, each rank's loss weighted by its share of the batch, before clipping and AdamW, so every
 * rank applies the update of the one-process run. Rank 0 alone writes files; the others wait for it at barriers.
 * A job of one process does none of this: its steps are those of a plain run, bit for bit.
 */
public final class DataParallel implements AutoCloseable {
    /** How often (in optimizer steps) the ranks compare checksums of their weights, besides before every save. */
    public static final int CHECKSUM_INTERVAL = 100;

    /** Work that rank 0 does alone. */
    @FunctionalInterface
    public interface RankZeroWork<T> {
        T run() throws IOException;
    }

    /** This rank's share of a global batch: its samples, their positions, their captions and their weight in the batch's loss. */
    public record Shard(Batch batch, BatchSlice slice, List<String> captions, double weight) {}

    private final Collectives collectives;
    private final RankEnv env;
    private final Backend device;
    private final int batchSize;
    private GradientBuckets buckets;

    private DataParallel(Collectives collectives, RankEnv env, Backend device, int batchSize) {
        if (collectives.worldSize() != env.worldSize() || collectives.rank() != env.rank())
            throw new IllegalArgumentException("collectives of rank " + collectives.rank() + " of " + collectives.worldSize() + " for rank " + env.rank() + " of " + env.worldSize());
        this.collectives = collectives;
        this.env = env;
        this.device = device;
        this.batchSize = batchSize;
    }

    /** A process that trains alone on {@code device}. */
    public static DataParallel single(Backend device, int batchSize) {
        return new DataParallel(new SingleProcess(), RankEnv.single(), device, batchSize);
    }

    /** A rank of a job whose collectives are given (tests run ranks as threads with LocalCollectives). */
    public static DataParallel of(Collectives collectives, RankEnv env, Backend device, int batchSize) {
        return new DataParallel(collectives, env, device, batchSize);
    }

    /**
     * Joins the job this process belongs to ({@code env}): checks num_processes against the launcher's world, opens the
     * rank's device (the configured ordinal plus the local rank: cuda:0 becomes cuda:LOCAL_RANK), gives each local rank
     * its share of the CPU threads unless FLUX2_THREADS sets them, joins the collectives and says on {@code out} which
     * rank of how many this is and where it runs.
     */
    public static DataParallel join(TrainConfig config, RankEnv env, PrintStream out) {
        int wanted = config.training().batches().processes();
        if (env.distributed() && wanted != 1 && wanted != env.worldSize())
            throw new IllegalArgumentException(config.configFile() + ": num_processes is " + wanted + " but " + env.launcherName() + " started "
                    + env.worldSize() + " ranks: set num_processes to " + env.worldSize() + " (or leave it out)");
        DeviceSpec spec = rankDevice(config.model().device(), env);
        if (!env.distributed()) return single(spec.open(), config.training().batches().size());
        if (System.getProperty("flux2.threads") == null && System.getenv("FLUX2_THREADS") == null)
            Parallel.setThreads(Math.max(1, Runtime.getRuntime().availableProcessors() / env.localWorldSize()));
        Backend device;
        try {
            device = spec.open();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rank " + env.rank() + " (local rank " + env.localRank() + "): " + e.getMessage());
        }
        Collectives c = CollectiveLibraries.join(env, device);
        out.println("rank " + env.rank() + " of " + env.worldSize() + " on " + device.name() + " (pid " + ProcessHandle.current().pid() + ", host "
                + host() + ", " + Parallel.threads() + " threads): " + c.describe());
        return new DataParallel(c, env, device, config.training().batches().size());
    }

    /** The device of a rank: cpu stays cpu; device:N becomes device:(N + local rank). */
    public static DeviceSpec rankDevice(DeviceSpec configured, RankEnv env) {
        if (configured.isCpu() || !env.distributed()) return configured;
        return new DeviceSpec(configured.backend(), configured.ordinal() + env.localRank());
    }

    private static String host() {
        String name = ManagementFactory.getRuntimeMXBean().getName();
        int at = name.indexOf('@');
        return at >= 0 ? name.substring(at + 1) : name;
    }

    public int rank() { return env.rank(); }

    public int worldSize() { return env.worldSize(); }

    public boolean isRankZero() { return env.rank() == 0; }

    /** The number of ranks of the job on this machine (1 alone). */
    public int localWorldSize() { return env.localWorldSize(); }

    /** True when this process is one rank of several. */
    public boolean distributed() { return env.distributed(); }

    /** The device this rank trains on. */
    public Backend device() { return device; }

    /** How the ranks train together, for a checkpoint. */
    public TrainingState.Batching batching() { return new TrainingState.Batching(env.worldSize(), batchSize); }

    /**
     * This rank's share of {@code global}, a batch of up to num_processes x train_batch_size samples, and of its
     * {@code captions} (one per sample, after caption dropout). A short batch (disable_bucket_pruning) leaves the last
     * ranks fewer samples, or none; weights are each share's fraction of the batch, so the summed losses are the
     * batch's mean loss.
     */
    public Shard shard(Batch global, List<String> captions) {
        int total = global.samples().size();
        if (!distributed()) return new Shard(global, BatchSlice.whole(total), captions, 1.0);
        int first = Math.min(total, env.rank() * batchSize), count = Math.min(batchSize, total - first);
        Batch mine = new Batch(global.epoch(), global.index(), global.datasetId(), global.width(), global.height(),
                List.copyOf(global.samples().subList(first, first + count)));
        return new Shard(mine, new BatchSlice(first, count, total), List.copyOf(captions.subList(first, first + count)),
                total == 0 ? 0 : count / (double) total);
    }

    /**
     * Replaces the gradients of {@code params} by their sums over the ranks (each rank's loss was weighted by its share)
     * and returns the sum of the ranks' {@code loss}: the loss of the whole batch. Alone, returns {@code loss}.
     */
    public double sumGradients(Map<String, Parameter> params, double loss, TensorArena arena) {
        if (!distributed()) return loss;
        if (buckets == null) buckets = new GradientBuckets(new ArrayList<>(params.values()), arena);
        return buckets.sum(collectives, loss);
    }

    /** Null when every rank holds the same weights; otherwise which ranks differ from rank 0, with their checksums. */
    public String weightDifference(Map<String, Parameter> params) {
        if (!distributed()) return null;
        long mine = WeightChecksum.of(params.values());
        Tensor all = Tensor.zeros(DType.I64, env.worldSize());
        collectives.allGather(Tensor.ofLongs(new long[] {mine}, 1), all);
        long[] sums = all.toLongArray();
        List<String> differ = new ArrayList<>();
        for (int r = 1; r < sums.length; r++) if (sums[r] != sums[0]) differ.add("rank " + r + " (" + Long.toHexString(sums[r]) + ")");
        if (differ.isEmpty()) return null;
        return "the weights of " + String.join(", ", differ) + " differ from rank 0's (" + Long.toHexString(sums[0])
                + "): the ranks no longer train the same model";
    }

    /**
     * Rank 0 does {@code work} ({@code what}: building the caches, saving a checkpoint, validating) while the others wait
     * for it at a barrier, up to FLUX2_DIST_PHASE_TIMEOUT. Work that fails on rank 0 ends the job on every rank.
     * Returns the work's result on rank 0, null elsewhere.
     */
    public <T> T rankZeroOnly(String what, RankZeroWork<T> work) throws IOException {
        if (!distributed()) return work.run();
        T result = null;
        if (isRankZero()) {
            try {
                result = work.run();
            } catch (IOException | RuntimeException e) {
                collectives.abort(what + " failed on rank 0: " + e.getMessage());
                throw e;
            }
        }
        try {
            collectives.barrier(env.phaseTimeout());
        } catch (CollectiveException e) {
            throw new CollectiveException(e.getMessage() + " (while rank 0 was " + what + ")", e);
        }
        return result;
    }

    /** Rank 0's {@code value} on every rank (one small broadcast; alone, {@code value} itself). */
    public boolean fromRankZero(boolean value) {
        if (!distributed()) return value;
        Tensor flag = Tensor.ofLongs(new long[] {value ? 1 : 0}, 1);
        collectives.broadcast(flag, 0);
        return flag.toLongArray()[0] != 0;
    }

    /** Rank 0's {@code value} on every rank (null stays null). */
    public String fromRankZero(String value) {
        if (!distributed()) return value;
        byte[] bytes = value == null ? new byte[0] : value.getBytes(StandardCharsets.UTF_8);
        Tensor len = Tensor.ofLongs(new long[] {value == null ? -1 : bytes.length}, 1);
        collectives.broadcast(len, 0);
        long n = len.toLongArray()[0];
        if (n < 0) return null;
        Tensor buf = Tensor.zeros(DType.U8, (int) n + 1);
        if (isRankZero()) HostBuffers.write(buf, java.util.Arrays.copyOf(bytes, bytes.length + 1), 0);
        collectives.broadcast(buf, 0);
        return new String(HostBuffers.bytes(buf), 0, (int) n, StandardCharsets.UTF_8);
    }

    /** Ends the job on every rank with {@code message} (a library such as MPI ends this process too). */
    public void abort(String message) {
        if (distributed()) collectives.abort(message);
    }

    @Override
    public void close() { collectives.close(); }
}
