package flux2.autograd;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Linear;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** Gradients of successive backward passes add up, so micro-batches accumulate to the full batch's gradient. */
class GradAccumulationTest {
    @Test
    void twoHalfBatchesEqualOneFullBatch() {
        try (TensorArena params = TensorArena.open("params")) {
            Linear lin = new Linear(16, 8, true, DType.F32, params);
            new Rng(1).fillNormal(lin.weight.value(), 0, 0.3);
            Tensor x = new Rng(2).normal(0, 1, 10, 16), y = new Rng(3).normal(0, 1, 10, 8);

            try (TensorArena step = TensorArena.open("full")) {
                F.mseLoss(lin.forward(Var.constant(x)), Var.constant(y)).backward();
            }
            float[] full = lin.weight.grad().toFloatArray();
            float[] fullBias = lin.bias.grad().toFloatArray();
            lin.zeroGrad();

            for (int half = 0; half < 2; half++) {
                try (TensorArena step = TensorArena.open("micro")) {
                    Var xs = Var.constant(x.narrow(0, 5 * half, 5)), ys = Var.constant(y.narrow(0, 5 * half, 5));
                    // each micro-batch loss is scaled by its share of the batch, as gradient accumulation does
                    F.mseLoss(lin.forward(xs), ys).mul(0.5).backward();
                }
            }
            assertArrayEquals(full, lin.weight.grad().toFloatArray(), 1e-6f);
            assertArrayEquals(fullBias, lin.bias.grad().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void noGradScopeRecordsNothing() {
        Var w = Var.leaf(Tensor.of(new float[]{1, 2}, 2));
        Var y;
        try (GradMode.Scope s = GradMode.off()) {
            y = w.mul(w).sum();
        }
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, y::backward);
        Var z = w.detach().mul(w).sum();
        z.backward();
        assertArrayEquals(new float[]{1, 2}, w.grad().toFloatArray(), "detach cuts one path of the product");
    }
}
