package flux2.tensor.cpu;

import static flux2.tensor.cpu.TestData.assertClose;
import static flux2.tensor.cpu.TestData.normal;
import static flux2.tensor.cpu.TestData.values;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The modulated LayerNorm against a double-precision reference, and the fused norm backward against central
 * differences of that reference taken in double (so the expected gradients owe nothing to the kernels).
 */
class NormFusionTest {
    private static final double RTOL = 2e-5, ATOL = 2e-5, EPS = 1e-6, H = 1e-5;

    /** A row norm in double: y = xhat * a + c per row, a and c per group of {@code groupRows} rows (null = 1, 0). */
    private static double[] forward(double[] x, int n, long groupRows, boolean centered, double[] a, boolean onePlus, double[] c) {
        double[] y = new double[x.length];
        for (int r0 = 0; r0 < x.length; r0 += n) {
            int m = (int) (r0 / n / groupRows) * n;
            double mean = 0, var = 0;
            if (centered) {
                for (int i = 0; i < n; i++) mean += x[r0 + i];
                mean /= n;
            }
            for (int i = 0; i < n; i++) var += (x[r0 + i] - mean) * (x[r0 + i] - mean);
            double rstd = 1 / Math.sqrt(var / n + EPS);
            for (int i = 0; i < n; i++) {
                double v = (x[r0 + i] - mean) * rstd;
                if (a != null) v *= a[m + i] + (onePlus ? 1 : 0);
                if (c != null) v += c[m + i];
                y[r0 + i] = v;
            }
        }
        return y;
    }

    /** d/dp sum(g * forward) for every element of p (one of x, a, c), by central differences. */
    private static double[] numeric(double[] p, java.util.function.Supplier<double[]> f, double[] g) {
        double[] d = new double[p.length];
        for (int j = 0; j < p.length; j++) {
            double o = p[j];
            p[j] = o + H;
            double plus = dot(f.get(), g);
            p[j] = o - H;
            double minus = dot(f.get(), g);
            p[j] = o;
            d[j] = (plus - minus) / (2 * H);
        }
        return d;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    @Test
    void modulatedLayerNormMatchesTheReferenceWithStridedChunks() {
        Random r = new Random(3);
        int b = 2, l = 5, d = 37;
        Tensor x = normal(r, 2, b, l, d).add(3);
        Tensor chunks = normal(r, 1, b, 1, 3 * d);
        Tensor shift = chunks.narrow(2, 0, d), scale = chunks.narrow(2, d, d);
        double[] want = forward(values(x), d, l, true, values(scale), true, values(shift));
        assertClose(want, NN.modulatedLayerNorm(x, shift, scale, EPS), RTOL, ATOL, "modulated LayerNorm");
        assertClose(want, NN.modulatedLayerNorm(x.transpose(0, 1).contiguous().transpose(0, 1), shift, scale, EPS), RTOL, ATOL, "strided x");
        Tensor xb = x.to(DType.BF16);
        assertClose(forward(values(xb), d, l, true, values(scale), true, values(shift)), NN.modulatedLayerNorm(xb, shift, scale, EPS),
                RTOL, ATOL, "bf16 x");
    }

    @Test
    void modulatedLayerNormBackwardMatchesDifferences() {
        Random r = new Random(4);
        int b = 2, l = 3, d = 9;
        Tensor x = normal(r, 1.5, b, l, d), shift = normal(r, 1, b, 1, d), scale = normal(r, 1, b, 1, d), g = normal(r, 1, b, l, d);
        double[] xv = values(x), sh = values(shift), sc = values(scale), gv = values(g);
        java.util.function.Supplier<double[]> f = () -> forward(xv, d, l, true, sc, true, sh);
        Tensor[] got = NN.modulatedLayerNormBackward(x, scale, g, EPS, true, true, true);
        assertClose(numeric(xv, f, gv), got[0], RTOL, 1e-4, "dx");
        assertClose(numeric(sh, f, gv), got[1], RTOL, 1e-4, "dShift");
        assertClose(numeric(sc, f, gv), got[2], RTOL, 1e-4, "dScale");
        assertTrue(java.util.Arrays.equals(shift.shape(), got[1].shape()) && java.util.Arrays.equals(scale.shape(), got[2].shape()));
        Tensor[] onlyX = NN.modulatedLayerNormBackward(x, scale, g.t().contiguous().t(), EPS, true, false, false);
        assertClose(numeric(xv, f, gv), onlyX[0], RTOL, 1e-4, "dx from a strided dOut");
        assertNull(onlyX[1]);
        assertNull(onlyX[2]);
    }

    @Test
    void rowNormBackwardsMatchDifferences() {
        Random r = new Random(5);
        int rows = 7, d = 13;
        Tensor x = normal(r, 2, rows, d), w = normal(r, 1, d), bias = normal(r, 1, d), g = normal(r, 1, rows, d);
        double[] xv = values(x), wv = values(w), bv = values(bias), gv = values(g);
        java.util.function.Supplier<double[]> ln = () -> forward(xv, d, rows, true, wv, false, bv);
        Tensor[] got = NN.layerNormBackward(x, w, g, EPS, true, true, true);
        assertClose(numeric(xv, ln, gv), got[0], RTOL, 1e-4, "layerNorm dx");
        assertClose(numeric(wv, ln, gv), got[1], RTOL, 1e-4, "layerNorm dWeight");
        assertClose(numeric(bv, ln, gv), got[2], RTOL, 1e-4, "layerNorm dBias");
        java.util.function.Supplier<double[]> rms = () -> forward(xv, d, rows, false, wv, false, null);
        Tensor[] gr = NN.rmsNormBackward(x, w, g, EPS, true, true);
        assertClose(numeric(xv, rms, gv), gr[0], RTOL, 1e-4, "rmsNorm dx");
        assertClose(numeric(wv, rms, gv), gr[1], RTOL, 1e-4, "rmsNorm dWeight");
        java.util.function.Supplier<double[]> plain = () -> forward(xv, d, rows, false, null, false, null);
        assertClose(numeric(xv, plain, gv), NN.rmsNormBackward(x, null, g, EPS, true, true)[0], RTOL, 1e-4, "rmsNorm without weight");
        assertNull(NN.rmsNormBackward(x, null, g, EPS, true, true)[1]);
    }

    @Test
    void badModulationShapesAreNamed() {
        Tensor x = Tensor.zeros(DType.F32, 2, 4, 6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NN.modulatedLayerNorm(x, Tensor.zeros(DType.F32, 2, 1, 6), Tensor.zeros(DType.F32, 1, 1, 6), EPS));
        assertTrue(e.getMessage().contains("scale") && e.getMessage().contains("[2, 1, 6]") && e.getMessage().contains("[1, 1, 6]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.modulatedLayerNorm(Tensor.zeros(DType.F32, 6), x, x, EPS));
        assertTrue(e.getMessage().contains("[..., L, D]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NN.layerNormBackward(x, null, Tensor.zeros(DType.F32, 2, 4, 5), EPS, true, false, false));
        assertTrue(e.getMessage().contains("dOut") && e.getMessage().contains("[2, 4, 5]"), e.getMessage());
    }
}
