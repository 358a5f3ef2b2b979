package flux2.model.vae;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.NN;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** The banded swish(GroupNorm) and banded convolutions agree with the whole-tensor kernels. */
class NormSwishTest {
    @Test
    void bandsOfNormSwishEqualGroupNormThenSwish() {
        try (TensorArena a = TensorArena.open("test")) {
            Rng rng = new Rng(5);
            Tensor x = rng.normal(0.7, 2, 2, 8, 9, 5);
            Tensor w = rng.normal(1, 0.3, 8), b = rng.normal(0, 0.3, 8);
            Tensor expected = NN.groupNorm(x, 4, w, b, 1e-6).silu();
            NormSwish n = new NormSwish(x, 4, w, b, 1e-6);
            assertClose(expected, n.all(), 1e-6);
            assertClose(expected.narrow(2, 3, 4), n.rows(3, 7), 1e-6);
        }
    }

    @Test
    void bandedConvolutionsEqualWholeOnes() {
        try (TensorArena a = TensorArena.open("test")) {
            Rng rng = new Rng(6);
            Tensor x = rng.normal(0, 1, 1, 3, 11, 6);
            Tensor w = rng.normal(0, 0.3, 4, 3, 3, 3), b = rng.normal(0, 0.3, 4);
            for (long tile : new long[]{1, 3 * 6 * 4 * 4, 1 << 20}) {
                Conv same = new Conv(w, b, 1, new int[]{1, 1, 1, 1}, tile);
                assertClose(same.apply(x), same.apply(Rows.of(x)), 1e-6);
                Conv down = new Conv(w, b, 2, new int[]{0, 1, 0, 1}, tile);
                assertClose(down.apply(x), down.apply(Rows.of(x)), 1e-6);
                assertClose(same.apply(flux2.tensor.Layouts.upsampleNearest(x, 2)), same.apply(Rows.upsampled(x)), 1e-6);
            }
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol) {
        float[] e = expected.toFloatArray(), g = actual.toFloatArray();
        assertTrue(e.length == g.length, "sizes differ");
        double d = 0, n = 0;
        for (int i = 0; i < e.length; i++) {
            d += (e[i] - g[i]) * (double) (e[i] - g[i]);
            n += e[i] * (double) e[i];
        }
        assertTrue(Math.sqrt(d / n) < tol, "relative L2 " + Math.sqrt(d / n));
    }
}
