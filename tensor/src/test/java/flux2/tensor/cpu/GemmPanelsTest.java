package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The caller-filled B panels give the same product as the engine's matmul, with edges and accumulation. */
class GemmPanelsTest {
    /** B[k, n] read from a row-major float array, in panels of the machine's width. */
    private static GemmPanels.PanelSource panels(float[] b, int n) {
        return panels(b, n, GemmPanels.PANEL_WIDTH);
    }

    private static GemmPanels.PanelSource panels(float[] b, int n, int w) {
        return (k0, kc, n0, nr, dst, off, stage) -> {
            for (int kk = 0; kk < kc; kk++)
                for (int j = 0; j < w; j++)
                    dst[off + kk * w + j] = j < nr ? b[(k0 + kk) * n + n0 + j] : 0f;
        };
    }

    /** Each kernel with panels of its own width (the one this machine lacks is emulated by the Vector API). */
    @Test
    @Tag("every-vector-width")
    void everyKernelTakesPanelsOfItsWidth() {
        try (TensorArena a = TensorArena.open("t")) {
            for (GemmKernel kernel : new GemmKernel[]{GemmKernel.AVX2, GemmKernel.AVX512}) {
                int m = 29, n = 45, k = 33;
                Tensor x = new Rng(5).normal(0, 1, m, k), b = new Rng(6).normal(0, 1, k, n);
                Tensor out = Tensor.zeros(DType.F32, m, n);
                GemmPanels.multiply(x, panels(b.toFloatArray(), n, kernel.nr), out, false, kernel);
                assertEquals(0, maxRelDiff(x.matmul(b), out, k), 1e-5, kernel.toString());
            }
        }
    }

    @Test
    void matchesMatmulOnRaggedShapes() {
        try (TensorArena a = TensorArena.open("t")) {
            for (int[] s : new int[][]{{1, 1, 1}, {7, 17, 5}, {37, 53, 300}, {150, 413, 611}}) {
                int m = s[0], n = s[1], k = s[2];
                Tensor x = new Rng(1).normal(0, 1, m, k), b = new Rng(2).normal(0, 1, k, n);
                Tensor expected = x.matmul(b);
                Tensor out = Tensor.zeros(DType.F32, m, n);
                GemmPanels.multiply(x, panels(b.toFloatArray(), n), out, false);
                assertEquals(0, maxRelDiff(expected, out, k), 1e-5, "m=" + m + " n=" + n + " k=" + k);
                GemmPanels.multiply(x, panels(b.toFloatArray(), n), out, true);
                assertEquals(0, maxRelDiff(expected.mul(2.0), out, k), 1e-5, "accumulating, m=" + m + " n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void stridedOperandsAndBadShapes() {
        try (TensorArena a = TensorArena.open("t")) {
            Tensor xt = new Rng(3).normal(0, 1, 40, 30), b = new Rng(4).normal(0, 1, 40, 20);
            Tensor out = Tensor.zeros(DType.F32, 20, 30).t(); // [30, 20] with strided rows
            GemmPanels.multiply(xt.t(), panels(b.toFloatArray(), 20), out, false);
            assertEquals(0, maxRelDiff(xt.t().matmul(b), out, 40), 1e-5);
            assertThrows(IllegalArgumentException.class,
                    () -> GemmPanels.multiply(Tensor.zeros(DType.F32, 3, 4), panels(new float[0], 2), Tensor.zeros(DType.F32, 2, 2), false));
        }
    }

    private static double maxRelDiff(Tensor expected, Tensor actual, int k) {
        float[] e = expected.contiguous().toFloatArray(), g = actual.contiguous().toFloatArray();
        double m = 0;
        for (int i = 0; i < e.length; i++) m = Math.max(m, Math.abs(e[i] - g[i]) / (Math.sqrt(k) + Math.abs(e[i])));
        return m;
    }
}
