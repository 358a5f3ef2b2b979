package flux2.bench;

import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.ConvGeometry;
import java.util.Random;
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
 * conv2d 3x3, 128 to 128 channels, on a 256x256 image (N=1, padding 1) on the CPU backend, into a preallocated
 * output, and its two gradients (input and weight) for the same shape. Each call is
 * 2 * 128 * 128 * 9 * 256 * 256 = 19.33 GFLOP.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class Conv2dBenchmark {
    private static final int C = 128, SIZE = 256;
    private static final int[] STRIDE = {1, 1}, PADDING = {1, 1, 1, 1};

    private TensorArena arena;
    private Backend backend;
    private Tensor x, w, bias, out, dOut, dx, dw;
    private ConvGeometry forward, backwardInput, backwardWeight;

    @Setup(Level.Trial)
    public void setup() {
        arena = TensorArena.create("conv2d-benchmark");
        backend = Backends.cpu();
        Random rnd = new Random(42);
        x = random(rnd, 1, C, SIZE, SIZE);
        w = random(rnd, C, C, 3, 3);
        bias = random(rnd, C);
        out = Tensor.allocate(backend, DType.F32, new int[]{1, C, SIZE, SIZE}, arena);
        dOut = random(rnd, 1, C, SIZE, SIZE);
        dx = Tensor.allocate(backend, DType.F32, new int[]{1, C, SIZE, SIZE}, arena);
        dw = Tensor.allocate(backend, DType.F32, new int[]{C, C, 3, 3}, arena);
        forward = ConvGeometry.forward(x, w, bias, STRIDE, PADDING).checkOutput(out);
        backwardInput = ConvGeometry.backwardInput(dOut, w, STRIDE, PADDING, dx.shape());
        backwardWeight = ConvGeometry.backwardWeight(x, dOut, STRIDE, PADDING, dw.shape());
    }

    private Tensor random(Random rnd, int... shape) {
        Tensor t = Tensor.allocate(backend, DType.F32, shape, arena);
        float[] v = new float[Math.toIntExact(t.numel())];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        try (TensorArena.Scope s = arena.enter()) {
            t.copyFrom(Tensor.of(v, shape));
        }
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() { arena.close(); }

    @Benchmark
    public Tensor conv3x3() {
        backend.conv2d(forward, x, w, bias, out);
        return out;
    }

    @Benchmark
    public Tensor conv3x3BackwardInput() {
        backend.conv2dBackwardInput(backwardInput, dOut, w, dx);
        return dx;
    }

    @Benchmark
    public Tensor conv3x3BackwardWeight() {
        backend.conv2dBackwardWeight(backwardWeight, x, dOut, dw);
        return dw;
    }
}
