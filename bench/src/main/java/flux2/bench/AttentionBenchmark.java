package flux2.bench;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.AttentionDims;
import java.lang.management.ManagementFactory;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Fused attention on the CPU backend, forward and backward. Shapes: q, k, v, out, dOut, dq, dk, dv
 * [B=1, H=1, L, D=128] F32 contiguous, lse [1, 1, L]; non-causal, no mask, scale 1/sqrt(128). Outputs are
 * allocated once, so a call allocates no tensor memory; FLOPs per call are 4*L*L*D forward and 2.5 times
 * that backward. {@code threads} sets {@link Parallel#setThreads}.
 *
 * <p>At the end of a trial it prints the off-heap growth during the calls and the process CPU time per call,
 * which on a shared machine says more about the kernel than the wall-clock score does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttentionBenchmark {
    private static final int HEAD_DIM = 128;

    @Param({"1024", "4096"})
    public int seqLen;

    @Param({"1", "2"})
    public int threads;

    private TensorArena arena;
    private Backend cpu;
    private AttentionDims forwardDims, backwardDims;
    private Tensor q, k, v, out, lse, dOut, dq, dk, dv;
    private long liveAfterSetup;
    private long calls, cpuAtIterationStart, cpuNanos, measuredCalls; // CPU time of measurement iterations

    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        cpu = Backends.cpu();
        arena = TensorArena.create("attention-bench");
        Random rnd = new Random(42);
        try (TensorArena.Scope s = arena.enter()) {
            q = random(rnd);
            k = random(rnd);
            v = random(rnd);
            dOut = random(rnd);
            out = Tensor.zeros(DType.F32, 1, 1, seqLen, HEAD_DIM);
            lse = Tensor.zeros(DType.F32, 1, 1, seqLen);
            dq = Tensor.zeros(DType.F32, 1, 1, seqLen, HEAD_DIM);
            dk = Tensor.zeros(DType.F32, 1, 1, seqLen, HEAD_DIM);
            dv = Tensor.zeros(DType.F32, 1, 1, seqLen, HEAD_DIM);
        }
        AttentionSpec spec = AttentionSpec.of(HEAD_DIM);
        forwardDims = AttentionDims.forward(spec, q, k, v, null);
        backwardDims = AttentionDims.backward(spec, q, k, v, null, out, lse, dOut);
        cpu.attention(forwardDims, q, k, v, null, out, lse);
        liveAfterSetup = MemoryStats.liveBytes();
        MemoryStats.resetPeak();
    }

    private Tensor random(Random rnd) {
        float[] x = new float[seqLen * HEAD_DIM];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        return Tensor.of(x, 1, 1, seqLen, HEAD_DIM);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        calls = 0;
        cpuAtIterationStart = processCpuNanos();
    }

    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) {
        if (iteration.getType() != IterationType.MEASUREMENT) return;
        cpuNanos += processCpuNanos() - cpuAtIterationStart;
        measuredCalls += calls;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        // Off-heap growth over all calls of the trial: 0 when the kernels allocate no tensor memory.
        System.out.println("\noff-heap: inputs and outputs " + arena.bytes() + " bytes; growth during calls "
                + (MemoryStats.peakBytes() - liveAfterSetup) + " bytes");
        System.out.printf("process CPU time per call: %.2f ms over %d calls%n", cpuNanos / 1e6 / Math.max(1, measuredCalls), measuredCalls);
        arena.close();
    }

    @Benchmark
    public Tensor forward() {
        calls++;
        cpu.attention(forwardDims, q, k, v, null, out, lse);
        return out;
    }

    @Benchmark
    public Tensor backward() {
        calls++;
        cpu.attentionBackward(backwardDims, q, k, v, null, out, lse, dOut, dq, dk, dv);
        return dq;
    }
}
