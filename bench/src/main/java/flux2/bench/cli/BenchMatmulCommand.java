package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.MatmulDims;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times out[M, N] = a[M, K] x W.t() with W [N, K] in F32 or BF16 (the layout of a Linear layer) and prints
 * {@code {"bench":"matmul","size":..,"threads":..,"dtype":..,"gflops":..}}.
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
        description = "Time a[M,K] x W.t() (W [N,K], a Linear weight) and print one JSON line with GFLOP/s.")
public final class BenchMatmulCommand implements Callable<Integer> {
    @Option(names = "--size", description = "M = N = K unless --m/--n/--k say otherwise (default ${DEFAULT-VALUE}).", defaultValue = "1024")
    int size;
    @Option(names = "--m", description = "Rows of a (default: --size).") Integer m;
    @Option(names = "--n", description = "Columns of the result (default: --size).") Integer n;
    @Option(names = "--k", description = "Inner size (default: --size).") Integer k;
    @Option(names = "--threads", description = "Threads (default: the engine's thread count).") Integer threads;
    @Option(names = "--dtype", description = "Weight dtype: f32 or bf16 (default ${DEFAULT-VALUE}).", defaultValue = "f32")
    String dtype;
    @Option(names = "--runs", description = "Timed runs; the best counts (default ${DEFAULT-VALUE}).", defaultValue = "5")
    int runs;
    @Option(names = "--warmup", description = "Warm-up seconds, enough for the JIT to compile the kernels (default ${DEFAULT-VALUE}).", defaultValue = "2")
    double warmup;
    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        int mm = m != null ? m : size, nn = n != null ? n : size, kk = k != null ? k : size;
        if (mm < 1 || nn < 1 || kk < 1) throw new IllegalArgumentException("matmul sizes must be positive, got m=" + mm + " n=" + nn + " k=" + kk);
        DType wt = DType.parse(dtype);
        if (wt != DType.F32 && wt != DType.BF16) throw new IllegalArgumentException("--dtype must be f32 or bf16, got '" + dtype + "'");
        Backend dev = device.open();
        int saved = Parallel.threads();
        int t = threads != null ? threads : saved;
        Parallel.setThreads(t);
        double seconds;
        try (TensorArena arena = TensorArena.open("bench-matmul")) {
            Random rnd = new Random(1);
            Tensor a = random(rnd, mm, kk).to(dev);
            Tensor w = random(rnd, nn, kk).to(wt).to(dev);
            Tensor b = w.t();
            Tensor out = Tensor.allocate(dev, DType.F32, new int[] {mm, nn}, arena);
            MatmulDims dims = MatmulDims.of(a, b);
            seconds = new BenchTimer(warmup, runs, 0.05).bestSecondsPerCall(() -> {
                dev.matmul(dims, a, b, out, false);
                DeviceOption.sync(dev);
            });
        } finally {
            Parallel.setThreads(saved);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", "matmul");
        json.put("size", size);
        if (mm != size || nn != size || kk != size) {
            json.put("m", mm);
            json.put("n", nn);
            json.put("k", kk);
        }
        json.put("threads", t);
        if (!dev.isHost()) json.put("device", dev.name());
        json.put("dtype", wt == DType.F32 ? "f32" : "bf16");
        json.put("gflops", new BigDecimal(2.0 * mm * nn * kk / seconds / 1e9).round(new MathContext(4)).doubleValue());
        BenchMemory.addTo(json);
        System.out.println(new ObjectMapper().writeValueAsString(json));
        return 0;
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, rows, cols);
    }
}
