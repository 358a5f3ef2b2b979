package flux2.bench;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Parameter;
import flux2.tensor.AttentionSpec;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
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
 * Autograd backward against forward: a 4-layer MLP (512 tokens, width 1024, GELU, F32 weights that all train)
 * and fused attention through autograd (B=1, H=8, L=1024, D=64, q/k/v trained). "forward" runs the recorded
 * forward only; "step" runs forward and backward, so backward = step - forward. Each call runs in a step arena
 * closed at its end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BackwardBenchmark {
    private static final int TOKENS = 512, WIDTH = 1024, LAYERS = 4;
    private static final int HEADS = 8, L = 1024, D = 64;

    private TensorArena params;
    private final List<Linear> mlp = new ArrayList<>();
    private Tensor x, q, k, v;

    @Setup(Level.Trial)
    public void setup() {
        params = TensorArena.create("params");
        try (TensorArena.Scope s = params.enter()) {
            for (int i = 0; i < LAYERS; i++) {
                Linear lin = new Linear(WIDTH, WIDTH, true, DType.F32, params);
                new Rng(i).fillNormal(lin.weight.value(), 0, 1 / Math.sqrt(WIDTH));
                mlp.add(lin);
            }
            Rng r = new Rng(100);
            x = r.normal(0, 1, TOKENS, WIDTH);
            q = r.normal(0, 1, 1, HEADS, L, D);
            k = r.normal(0, 1, 1, HEADS, L, D);
            v = r.normal(0, 1, 1, HEADS, L, D);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() { params.close(); }

    private Var mlpLoss() {
        Var h = Var.constant(x);
        for (Linear lin : mlp) h = lin.forward(h).gelu();
        return h.square().mean();
    }

    private Var attentionLoss(Var[] qkv) {
        return F.attention(AttentionSpec.of(D), qkv[0], qkv[1], qkv[2], null).square().mean();
    }

    private Var[] qkvLeaves(TensorArena a) { return new Var[]{Var.leaf(q, a), Var.leaf(k, a), Var.leaf(v, a)}; }

    @Benchmark
    public double mlpForward() {
        try (TensorArena step = TensorArena.open("step")) {
            return mlpLoss().data().item();
        }
    }

    @Benchmark
    public double mlpForwardBackward() {
        try (TensorArena step = TensorArena.open("step")) {
            Var loss = mlpLoss();
            loss.backward();
            double g = mlp.get(0).weight.grad().get(0, 0);
            for (Linear lin : mlp) for (Parameter p : lin.namedParameters().values()) p.zeroGrad();
            return g;
        }
    }

    @Benchmark
    public double attentionForward() {
        try (TensorArena step = TensorArena.open("step")) {
            return attentionLoss(qkvLeaves(step)).data().item();
        }
    }

    @Benchmark
    public double attentionForwardBackward() {
        try (TensorArena step = TensorArena.open("step")) {
            Var[] qkv = qkvLeaves(step);
            Var loss = attentionLoss(qkv);
            loss.backward();
            return qkv[0].grad().get(0, 0, 0, 0);
        }
    }
}
