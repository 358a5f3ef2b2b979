package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.collective.CollectiveLibraries;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.RankEnv;
import flux2.tensor.collective.Reduction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times in-place all-reduce sums over the ranks of a job (started by mpirun, or with torchrun's variables; one rank
 * alone with --collectives nccl) on buffers of the given sizes, and checks every result. Every rank runs the same
 * fixed number of calls per size (collectives cannot repeat "until a minimum time": the ranks would disagree); the
 * slowest rank's time counts. Rank 0 prints one JSON line per size: bus bandwidth is nccl-tests' algorithm bandwidth
 * times 2 (n - 1) / n, what each rank's link carries in a ring.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
        description = "Time all-reduce sums over the ranks of a job (mpirun -np N ... bench allreduce); one JSON line per size on rank 0.")
public final class BenchAllReduceCommand implements Callable<Integer> {
    @Option(names = "--sizes", split = ",", defaultValue = "1,16,64,300", paramLabel = "MB",
            description = "Buffer sizes in MB of 10^6 bytes (default ${DEFAULT-VALUE}).") List<Double> sizes;
    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or bf16 (default ${DEFAULT-VALUE}).") String dtype;
    @Option(names = "--collectives", defaultValue = "auto",
            description = "auto, mpi or nccl (default ${DEFAULT-VALUE}: NCCL for CUDA ranks, else Open MPI).") String library;
    @Option(names = "--iterations", defaultValue = "5", description = "Timed calls per size (default ${DEFAULT-VALUE}).") int iterations;
    @Option(names = "--warmup", defaultValue = "2", description = "Untimed calls per size first (default ${DEFAULT-VALUE}).") int warmup;
    @Mixin DeviceOption device;

    @Override
    public Integer call() throws Exception {
        DType type = switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype " + dtype + ": allowed values are f32, bf16");
        };
        if (iterations < 1 || warmup < 0) throw new IllegalArgumentException("--iterations must be >= 1 and --warmup >= 0");
        Backend dev = device.open();
        ObjectMapper json = new ObjectMapper();
        try (Collectives c = CollectiveLibraries.join(RankEnv.detect(), dev, library.toLowerCase(java.util.Locale.ROOT))) {
            int n = c.worldSize();
            for (double mb : sizes) {
                long elements = Math.max(1, Math.round(mb * 1e6 / type.byteSize()));
                if (elements > Integer.MAX_VALUE) throw new IllegalArgumentException("--sizes " + mb + ": at most " + (Integer.MAX_VALUE * (long) type.byteSize() / 1e6) + " MB");
                try (TensorArena a = TensorArena.open("bench-allreduce")) {
                    Tensor buf = Tensor.allocate(dev, type, new int[] {(int) elements}, a);
                    double seconds = Double.POSITIVE_INFINITY;
                    boolean ok = true;
                    for (int i = 0; i < warmup + iterations; i++) {
                        buf.fill(c.rank() + 1);
                        dev.finish();
                        c.barrier();
                        long t0 = System.nanoTime();
                        c.allReduce(buf, Reduction.SUM);
                        double s = slowest(c, (System.nanoTime() - t0) / 1e9);
                        if (i >= warmup) seconds = Math.min(seconds, s);
                        ok &= check(buf, n * (n + 1) / 2.0);
                    }
                    if (c.rank() == 0) {
                        double bytes = (double) elements * type.byteSize(), algbw = bytes / seconds / 1e9;
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("bench", "allreduce");
                        line.put("collectives", c.describe().replaceAll(": rank 0 of.*", ""));
                        line.put("ranks", n);
                        line.put("device", dev.name());
                        line.put("dtype", dtype.toLowerCase(java.util.Locale.ROOT));
                        line.put("bytes", (long) bytes);
                        line.put("seconds", round(seconds));
                        line.put("algbw_gbps", round(algbw));
                        line.put("busbw_gbps", round(n > 1 ? algbw * 2 * (n - 1) / n : algbw));
                        line.put("correct", ok);
                        System.out.println(json.writeValueAsString(line));
                    }
                    if (!ok) return 1;
                }
            }
        }
        return 0;
    }

    /** The longest of the ranks' times (every rank gets it). */
    private static double slowest(Collectives c, double mine) {
        Tensor all = Tensor.zeros(DType.F32, c.worldSize());
        c.allGather(Tensor.of(new float[] {(float) mine}, 1), all);
        double max = 0;
        for (float t : all.toFloatArray()) max = Math.max(max, t);
        return max;
    }

    /** The first, middle and last elements hold the sum 1 + 2 + ... + n. */
    private static boolean check(Tensor buf, double want) {
        int n = buf.size(0);
        for (int i : new int[] {0, n / 2, n - 1})
            if (buf.narrow(0, i, 1).toFloatArray()[0] != (float) want) return false;
        return true;
    }

    private static double round(double v) { return Math.round(v * 1e4) / 1e4; }
}
