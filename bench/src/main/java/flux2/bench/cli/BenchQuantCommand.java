package flux2.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.quant.QuantScheme;
import flux2.quant.QuantizedWeight;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times y[T, out] = x[T, in] x W^T for W in F32, BF16, int8 and int4 (a Linear layer) and prints one JSON line
 * per case: {@code {"bench":"quant","dtype":..,"tokens":..,"in":..,"out":..,"gflops":..,"bytes_per_param":..}};
 * optionally quantizes a synthetic BF16 checkpoint on load and prints its throughput and peak RSS.
 */
@Command(name = "quant", mixinStandardHelpOptions = true,
        description = "Time products with quantized Linear weights against F32/BF16 ones (JSON lines), and quantize-on-load.")
public final class BenchQuantCommand implements Callable<Integer> {
    @Option(names = "--tokens", split = ",", description = "Rows of x (default ${DEFAULT-VALUE}).", defaultValue = "64,512,4096")
    List<Integer> tokens;
    @Option(names = "--shape", split = ",", description = "Layer sizes INxOUT (default ${DEFAULT-VALUE}, FLUX.2-dev's MLP).",
            defaultValue = "6144x18432,18432x6144")
    List<String> shapes;
    @Option(names = "--dtypes", split = ",", description = "Weight formats among f32, bf16, int8, int4 (default ${DEFAULT-VALUE}).",
            defaultValue = "f32,bf16,int8,int4")
    List<String> dtypes;
    @Option(names = "--runs", description = "Timed calls after one warm-up call; the best counts (default ${DEFAULT-VALUE}).", defaultValue = "2")
    int runs;
    @Option(names = "--threads", description = "Threads (default: the engine's thread count).") Integer threads;
    @Option(names = "--load-mib", description = "Size of a synthetic BF16 checkpoint to quantize on load, MiB (default 0: skip).", defaultValue = "0")
    long loadMiB;
    @Option(names = "--load-dtype", description = "Format for quantize-on-load: int8 or int4 (default ${DEFAULT-VALUE}).", defaultValue = "int8")
    String loadDtype;
    @Option(names = "--dir", description = "Folder for the synthetic checkpoint (default: a temporary folder, removed after).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        for (String d : dtypes) if (!List.of("f32", "bf16", "int8", "int4").contains(d))
            throw new IllegalArgumentException("--dtypes takes f32, bf16, int8, int4; got '" + d + "'");
        List<int[]> sizes = new ArrayList<>();
        for (String s : shapes) sizes.add(parseShape(s));
        for (int t : tokens) if (t < 1) throw new IllegalArgumentException("--tokens must be positive, got " + t);
        int saved = Parallel.threads();
        Parallel.setThreads(threads != null ? threads : saved);
        ObjectMapper json = new ObjectMapper();
        try {
            for (int[] size : sizes) {
                for (String d : dtypes) {
                    try (TensorArena arena = TensorArena.open("bench-quant")) {
                        Weight w = Weight.make(d, size[0], size[1], arena);
                        for (int t : tokens) System.out.println(json.writeValueAsString(time(w, d, t, size)));
                    }
                }
            }
            if (loadMiB > 0) {
                Map<String, Object> load = QuantLoadBench.run(loadMiB, parseScheme(loadDtype), dir);
                System.out.println(json.writeValueAsString(load));
                if (!Boolean.TRUE.equals(load.get("within_bound"))) {
                    // the demonstration asserts bounded memory: exceed it and the command fails
                    System.err.println("error: quantize-on-load peak RSS " + load.get("peak_rss_mib") + " MiB exceeds what was resident before ("
                            + load.get("rss_before_mib") + " MiB) + the quantized result (" + load.get("quantized_mib")
                            + " MiB) + one source tensor + 64 MiB, or the peak could not be reset");
                    return 1;
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
        return 0;
    }

    private Map<String, Object> time(Weight w, String dtype, int t, int[] size) {
        int in = size[0], out = size[1];
        Tensor x = new Rng(2).normal(0, 1, t, in);
        w.apply(x); // warm-up: JIT and pack buffers
        double best = Double.POSITIVE_INFINITY;
        for (int r = 0; r < runs; r++) {
            try (TensorArena call = TensorArena.open("call")) {
                long start = System.nanoTime();
                w.apply(x);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", "quant");
        m.put("dtype", dtype);
        m.put("tokens", t);
        m.put("in", in);
        m.put("out", out);
        m.put("threads", Parallel.threads());
        m.put("gflops", round(2.0 * t * in * out / best / 1e9));
        m.put("bytes_per_param", round((double) w.bytes() / ((long) in * out)));
        BenchMemory.addTo(m);
        return m;
    }

    /** A weight in one format with its product. */
    private interface Weight {
        Tensor apply(Tensor x);

        long bytes();

        static Weight make(String dtype, int in, int out, TensorArena arena) {
            Tensor f32 = new Rng(1).normal(0, 1 / Math.sqrt(in), out, in);
            if (dtype.equals("f32") || dtype.equals("bf16")) {
                Tensor w = dtype.equals("f32") ? f32 : f32.to(DType.BF16);
                Tensor wt = w.t();
                return new Weight() {
                    public Tensor apply(Tensor x) { return x.matmul(wt); }
                    public long bytes() { return w.dtype().bytesFor(w.numel()); }
                };
            }
            QuantizedWeight q = QuantizedWeight.quantize(f32, parseScheme(dtype), arena);
            return new Weight() {
                public Tensor apply(Tensor x) { return q.forward(x); }
                public long bytes() { return q.byteSize(); }
            };
        }
    }

    static QuantScheme parseScheme(String d) {
        return switch (d) {
            case "int8" -> QuantScheme.INT8;
            case "int4" -> QuantScheme.INT4;
            default -> throw new IllegalArgumentException("quantized format must be int8 or int4, got '" + d + "'");
        };
    }

    private static int[] parseShape(String s) {
        String[] p = s.toLowerCase().split("x");
        try {
            if (p.length == 2) {
                int in = Integer.parseInt(p[0].trim()), out = Integer.parseInt(p[1].trim());
                if (in > 0 && out > 0) return new int[]{in, out};
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("--shape takes INxOUT with positive sizes, e.g. 6144x18432; got '" + s + "'");
    }

    static double round(double v) { return new BigDecimal(v).round(new MathContext(4)).doubleValue(); }
}
