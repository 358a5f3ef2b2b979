package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import flux2.tensor.AttentionSpec;
import flux2.tensor.NN;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Kernels give bit-identical results on every call, including while the JIT compiles them: training runs
 * must be reproducible and gradient checkpointing recomputes activations that must equal the first pass.
 */
class DeterminismTest {
    private static void repeatable(String what, Supplier<Tensor> f) {
        try (TensorArena a = TensorArena.open("det")) {
            float[] first = f.get().toFloatArray();
            for (int rep = 0; rep < 40; rep++) assertArrayEquals(first, f.get().toFloatArray(), what + " changed on call " + (rep + 2));
        }
    }

    @Test
    void transcendentalKernelsDoNotChangeAsTheJitWarmsUp() {
        Tensor h = new Rng(3).normal(0, 2, 64, 257);
        repeatable("exp", h::exp);
        repeatable("log", () -> h.abs().log());
        repeatable("tanh", h::tanh);
        repeatable("sigmoid", h::sigmoid);
        repeatable("silu", h::silu);
        repeatable("gelu", h::gelu);
        repeatable("gelu tanh", h::geluTanh);
        repeatable("pow", () -> h.abs().pow(1.7));
        repeatable("softmax", h::softmax);
        repeatable("erf", h::erf);
    }

    @Test
    void reductionsNormsAndAttentionAreRepeatable() {
        Tensor x = new Rng(4).normal(0, 1, 2, 3, 40, 16);
        repeatable("sum", () -> x.sumKeepDim(0, 2));
        repeatable("layerNorm", () -> NN.layerNorm(x, null, null, 1e-6));
        repeatable("groupNorm", () -> NN.groupNorm(x, 3, null, null, 1e-6));
        repeatable("attention", () -> NN.attention(AttentionSpec.of(16), x, x, x, null).out());
        Tensor a = new Rng(5).normal(0, 1, 300, 700), w = new Rng(6).normal(0, 1, 500, 700);
        repeatable("matmul", () -> a.matmul(w.t()));
        repeatable("matmul bf16", () -> a.matmul(w.to(flux2.tensor.DType.BF16).t()));
        Tensor row = new Rng(7).normal(0, 1, 3, 700);
        repeatable("matmul few rows", () -> row.matmul(w.t()));
        repeatable("rmsNorm", () -> NN.rmsNorm(a, null, 1e-6));
    }
}
