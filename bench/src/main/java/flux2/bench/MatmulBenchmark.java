package flux2.bench;

import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.MatmulDims;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CPU sgemm in the layout of a Linear layer: out[M, N] = a[M, K] x W.t() with W [N, K] in F32 or BF16, square
 * sizes. GFLOP/s = 2 * size^3 / (ms per op * 1e6). Run with
 * {@code java -jar bench/target/benchmarks.jar MatmulBenchmark} (add {@code -p threads=2} to pick one count).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
public class MatmulBenchmark {
    @Param({"1024", "2048"})
    public int size;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"1", "2"})
    public int threads;

    private TensorArena arena;
    private Backend backend;
    private Tensor a;
    private Tensor b;
    private Tensor out;
    private MatmulDims dims;
    private int savedThreads;

    @Setup(Level.Trial)
    public void setUp() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(threads);
        arena = TensorArena.create("matmul-benchmark");
        try (TensorArena.Scope ignored = arena.enter()) {
            Random rnd = new Random(7);
            a = random(rnd, size, size);
            b = random(rnd, size, size).to(DType.parse(dtype)).t();
            out = Tensor.zeros(DType.F32, size, size);
        }
        backend = a.backend();
        dims = MatmulDims.of(a, b);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        Parallel.setThreads(savedThreads);
    }

    @Benchmark
    public Tensor sgemm() {
        backend.matmul(dims, a, b, out, false);
        return out;
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, rows, cols);
    }
}
