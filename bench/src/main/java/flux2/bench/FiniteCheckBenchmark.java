package flux2.bench;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.FiniteCheck;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The NaN/infinity scan of weights at load ({@link FiniteCheck}): a 512 MiB BF16 tensor mapped from a safetensors
 * file (in the page cache after the first iteration, so this is the scan's own cost, not the disk's), the same
 * size in F32, and every tensor of the embedded example's transformer (about 1 MB), as loading does it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class FiniteCheckBenchmark {
    /** Elements of the large tensors: 512 MiB in BF16. */
    private static final int ROWS = 16384, COLS = 16384;

    private Path dir;
    private TensorSource bf16, f32, tiny;
    private Tensor mappedBf16, mappedF32;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("finite-bench");
        try (TensorArena a = TensorArena.create("finite-bench")) {
            Tensor w = Tensor.allocate(flux2.tensor.Backends.cpu(), DType.F32, new int[]{ROWS, COLS}, a).fill(0.25);
            SafetensorsWriter.write(dir.resolve("f32.safetensors"), Map.of("w", w));
            SafetensorsWriter.write(dir.resolve("bf16.safetensors"), Map.of("w", w.to(DType.BF16)));
        }
        bf16 = Checkpoints.open(dir.resolve("bf16.safetensors"));
        f32 = Checkpoints.open(dir.resolve("f32.safetensors"));
        mappedBf16 = bf16.tensor("w");
        mappedF32 = f32.tensor("w");
        tiny = Checkpoints.open(Path.of(System.getProperty("flux2.tiny.transformer", "examples/tiny/model/transformer")));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        bf16.close();
        f32.close();
        tiny.close();
        for (String f : new String[]{"f32.safetensors", "bf16.safetensors"}) Files.deleteIfExists(dir.resolve(f));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public Object mappedBf16_512MiB() {
        return FiniteCheck.find(mappedBf16);
    }

    @Benchmark
    public Object mappedF32_1GiB() {
        return FiniteCheck.find(mappedF32);
    }

    @Benchmark
    public int tinyTransformerEveryTensor() throws IOException {
        int bad = 0;
        for (String n : tiny.names()) if (FiniteCheck.find(tiny.tensor(n)) != null) bad++;
        return bad;
    }
}
