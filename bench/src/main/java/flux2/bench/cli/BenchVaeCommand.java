package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.vae.AutoEncoder;
import flux2.model.vae.VaeConfig;
import flux2.model.vae.VaeWeights;
import flux2.tensor.MemoryStats;
import flux2.tensor.Parallel;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times a full-size FLUX.2 VAE encode or decode (random weights) of one square image and prints
 * {@code {"bench":"vae","op":..,"size":..,"threads":..,"seconds":..,"cpu_seconds":..,"peak_mib":..,"naive_mib":..}}:
 * the best wall time over the runs (with the process CPU time of that run, which other load on the machine
 * does not inflate), the peak of live tensor memory during a run (weights and input excluded), and what a
 * forward pass keeping every intermediate would hold.
 */
@Command(name = "vae", mixinStandardHelpOptions = true,
        description = "Time a full-size FLUX.2 VAE encode or decode (random weights) and print one JSON line.")
public final class BenchVaeCommand implements Callable<Integer> {
    @Option(names = "--size", description = "Image side in pixels, a multiple of 16 (default ${DEFAULT-VALUE}).", defaultValue = "256")
    int size;
    @Option(names = "--op", description = "encode or decode (default ${DEFAULT-VALUE}).", defaultValue = "encode")
    String op;
    @Option(names = "--runs", description = "Timed runs; the best counts (default ${DEFAULT-VALUE}).", defaultValue = "3")
    int runs;
    @Option(names = "--warmup-runs", description = "Untimed runs first, for the JIT (default ${DEFAULT-VALUE}).", defaultValue = "1")
    int warmupRuns;
    @Option(names = "--tile-mib", description = "Input size of one band of rows in MiB (default ${DEFAULT-VALUE}).", defaultValue = "16")
    double tileMib;
    @Option(names = "--threads", description = "Threads (default: the engine's thread count).") Integer threads;

    @Override
    public Integer call() throws Exception {
        if (size < 16 || size % 16 != 0) throw new IllegalArgumentException("--size must be a positive multiple of 16, got " + size);
        if (!op.equals("encode") && !op.equals("decode")) throw new IllegalArgumentException("--op must be encode or decode, got '" + op + "'");
        if (runs < 1 || warmupRuns < 0) throw new IllegalArgumentException("--runs must be >= 1 and --warmup-runs >= 0");
        if (!(tileMib > 0)) throw new IllegalArgumentException("--tile-mib must be positive, got " + tileMib);
        VaeConfig config = VaeConfig.flux2();
        int saved = Parallel.threads();
        int t = threads != null ? threads : saved;
        Parallel.setThreads(t);
        double best = Double.POSITIVE_INFINITY, bestCpu = 0;
        long peak = 0;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (TensorArena arena = TensorArena.open("bench-vae")) {
            AutoEncoder vae = AutoEncoder.of(VaeWeights.random(config, new Rng(1)), (long) (tileMib * (1 << 20)));
            int lat = size / config.pixelsPerLatent();
            Tensor input = op.equals("encode") ? new Rng(2).uniform(-1, 1, 1, 3, size, size)
                    : new Rng(2).normal(0, 1, 1, config.latentChannels(), lat, lat);
            for (int r = 0; r < warmupRuns + runs; r++) {
                try (TensorArena run = TensorArena.open("bench-vae-run")) {
                    MemoryStats.resetPeak();
                    long before = MemoryStats.liveBytes(), start = System.nanoTime(), cpu = os.getProcessCpuTime();
                    if (op.equals("encode")) vae.encode(input);
                    else vae.decode(input);
                    double s = (System.nanoTime() - start) / 1e9, c = (os.getProcessCpuTime() - cpu) / 1e9;
                    peak = Math.max(peak, MemoryStats.peakBytes() - before);
                    if (r >= warmupRuns && s < best) {
                        best = s;
                        bestCpu = c;
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", "vae");
        json.put("op", op);
        json.put("size", size);
        json.put("threads", t);
        json.put("seconds", round(best));
        json.put("cpu_seconds", round(bestCpu));
        json.put("peak_mib", round(peak / 1048576.0));
        json.put("naive_mib", round(naiveBytes(config, size, op.equals("encode")) / 1048576.0));
        System.out.println(new ObjectMapper().writeValueAsString(json));
        return 0;
    }

    private static double round(double v) { return new BigDecimal(v).round(new MathContext(4)).doubleValue(); }

    /**
     * F32 bytes of every intermediate of a straightforward forward pass that keeps them all (as a recorded
     * graph would): per ResNet block two norms, two swishes, two convolutions, the shortcut and the sum; per
     * down/upsampling the padded or upsampled input and the convolution; per attention the norm, q, k, v, the
     * attention output, the projection and the sum.
     */
    static long naiveBytes(VaeConfig c, int side, boolean encode) {
        long total = 0;
        int r = encode ? side : side / (1 << (c.levels() - 1)), top = c.width(c.levels() - 1);
        if (encode) {
            total += px(c.ch(), r);
            int in = c.ch();
            for (int i = 0; i < c.levels(); i++) {
                for (int j = 0; j < c.numResBlocks(); j++) {
                    total += resnet(in, c.width(i), r);
                    in = c.width(i);
                }
                if (i < c.levels() - 1) {
                    total += (long) in * (r + 1) * (r + 1) + px(in, r / 2);
                    r /= 2;
                }
            }
            total += mid(top, r) + 2 * px(top, r) + 2 * px(2 * c.zChannels(), r);
        } else {
            total += px(c.zChannels(), r) + px(top, r) + mid(top, r);
            int in = top;
            for (int i = c.levels() - 1; i >= 0; i--) {
                for (int j = 0; j <= c.numResBlocks(); j++) {
                    total += resnet(in, c.width(i), r);
                    in = c.width(i);
                }
                if (i > 0) {
                    r *= 2;
                    total += 2 * px(in, r);
                }
            }
            total += 2 * px(in, r) + px(c.outChannels(), r);
        }
        return total * Float.BYTES;
    }

    private static long px(int channels, int side) { return (long) channels * side * side; }

    private static long resnet(int in, int out, int r) {
        return 2 * px(in, r) + 6 * px(out, r) + (in != out ? px(out, r) : 0);
    }

    private static long mid(int c, int r) { return 2 * resnet(c, c, r) + 7 * px(c, r); }
}
