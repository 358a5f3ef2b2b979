package flux2.autograd.optim;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradClipTest {
    @Test
    void clipsTheGlobalNormLikeTorch() {
        try (TensorArena a = TensorArena.open("t")) {
            Parameter p = new Parameter(Tensor.zeros(flux2.tensor.DType.F32, 2), true, a);
            Parameter q = new Parameter(Tensor.zeros(flux2.tensor.DType.F32, 1), true, a);
            p.var().setGrad(Tensor.of(new float[]{3, 0}, 2));
            q.var().setGrad(Tensor.of(new float[]{4}, 1));
            double norm = GradClip.clipGlobalNorm(List.of(p, q), 1.0);
            assertEquals(5, norm, 1e-6);
            double coef = 1.0 / (5 + 1e-6);
            assertEquals(3 * coef, p.grad().get(0), 1e-6);
            assertEquals(4 * coef, q.grad().get(0), 1e-6);
            double again = GradClip.clipGlobalNorm(List.of(p, q), 10.0);
            assertEquals(1, again, 1e-5);
            assertEquals(3 * coef, p.grad().get(0), 1e-6, "no change below the limit");
        }
    }
}
