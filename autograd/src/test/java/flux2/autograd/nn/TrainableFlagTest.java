package flux2.autograd.nn;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** A LoRA-style run over a frozen base must not allocate gradients for the base. */
class TrainableFlagTest {
    @Test
    void frozenWeightsGetNoGradientBuffers() {
        try (TensorArena params = TensorArena.open("params")) {
            Linear base = new Linear(64, 64, false, DType.BF16, params);
            new Rng(1).fillNormal(base.weight.value(), 0, 0.1);
            base.setTrainable(false);
            Linear down = new Linear(64, 4, false, DType.F32, params);
            Linear up = new Linear(4, 64, false, DType.F32, params);
            new Rng(2).fillNormal(down.weight.value(), 0, 0.1);
            new Rng(3).fillNormal(up.weight.value(), 0, 0.1);
            base.setAdapter(x -> up.forward(down.forward(x)));
            long before = params.bytes();
            try (TensorArena step = TensorArena.open("step")) {
                Var x = Var.constant(new Rng(4).normal(0, 1, 8, 64));
                Var loss = F.mseLoss(base.forward(x), Var.constant(new Rng(5).normal(0, 1, 8, 64)));
                loss.backward();
            }
            assertNull(base.weight.grad());
            assertNotNull(down.weight.grad());
            assertNotNull(up.weight.grad());
            long gradBytes = params.bytes() - before;
            assertEquals((64 * 4 + 4 * 64) * 4L, gradBytes, "only the adapter's gradients may be allocated");
            assertTrue(MemoryStats.liveBytes() >= params.bytes());

            // later steps reuse the gradient buffers: the parameter arena does not grow
            long afterFirst = params.bytes();
            for (int s = 0; s < 3; s++) {
                down.zeroGrad();
                up.zeroGrad();
                try (TensorArena step = TensorArena.open("step")) {
                    Var x = Var.constant(new Rng(10 + s).normal(0, 1, 8, 64));
                    F.mseLoss(base.forward(x), Var.constant(new Rng(5).normal(0, 1, 8, 64))).backward();
                }
            }
            assertEquals(afterFirst, params.bytes());
            assertNotNull(down.weight.grad());
        }
    }
}
