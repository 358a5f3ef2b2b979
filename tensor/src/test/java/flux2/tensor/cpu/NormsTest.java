package flux2.tensor.cpu;

import static flux2.tensor.cpu.TestData.assertClose;
import static flux2.tensor.cpu.TestData.uniform;
import static flux2.tensor.cpu.TestData.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.NN;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.RowNormDims;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NormsTest {
    private static final double RTOL = 2e-6, ATOL = 2e-6;
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("norms-test"); }

    @AfterEach void close() { arena.close(); }

    /** LayerNorm (centered) or RMSNorm over the last axis, in double: biased variance as PyTorch. */
    private static double[] rowNormReference(boolean centered, Tensor x, Tensor w, Tensor b, double eps) {
        int n = x.size(-1);
        double[] v = values(x);
        double[] wv = w == null ? null : values(w), bv = b == null ? null : values(b);
        for (int r0 = 0; r0 < v.length; r0 += n) {
            double mean = 0;
            if (centered) {
                for (int i = 0; i < n; i++) mean += v[r0 + i];
                mean /= n;
            }
            double var = 0;
            for (int i = 0; i < n; i++) var += (v[r0 + i] - mean) * (v[r0 + i] - mean);
            var /= n;
            double rstd = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < n; i++) {
                double y = (v[r0 + i] - mean) * rstd;
                if (wv != null) y *= wv[i];
                if (bv != null) y += bv[i];
                v[r0 + i] = y;
            }
        }
        return v;
    }

    @Test
    void layerNormAtOddSizesWithAndWithoutAffine() {
        Random r = new Random(21);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor x = uniform(r, DType.F32, -3, 5, 5, n);
            Tensor w = uniform(r, DType.F32, 0.5, 1.5, n), b = uniform(r, DType.F32, -1, 1, n);
            Tensor[][] affine = {{w, b}, {w, null}, {null, b}, {null, null}};
            for (Tensor[] wb : affine) {
                assertClose(rowNormReference(true, x, wb[0], wb[1], 1e-6), NN.layerNorm(x, wb[0], wb[1], 1e-6), RTOL, ATOL,
                        "layerNorm n=" + n + " weight " + (wb[0] != null) + " bias " + (wb[1] != null));
            }
        }
    }

    @Test
    void layerNormOfRowsFarFromZeroKeepsPrecision() {
        Random r = new Random(22);
        Tensor x = uniform(r, DType.F32, -1, 1, 4, 513).add(1000);
        assertClose(rowNormReference(true, x, null, null, 1e-6), NN.layerNorm(x, null, null, 1e-6), RTOL, ATOL, "offset rows");
        // Constant rows normalize to zero (eps keeps them finite), then take the bias.
        Tensor c = Tensor.full(DType.F32, 3.5, 2, 9);
        Tensor b = uniform(r, DType.F32, -1, 1, 9);
        assertClose(rowNormReference(true, c, null, b, 1e-6), NN.layerNorm(c, null, b, 1e-6), 0, 0, "constant rows");
    }

    @Test
    void layerNormOfStridedAndHalfPrecisionInputs() {
        Random r = new Random(23);
        Tensor t = uniform(r, DType.F32, -2, 2, 40, 7).t();                  // [7, 40], inner stride 7
        Tensor w = uniform(r, DType.F32, 0.5, 1.5, 80).slice(0, 0, 80, 2);    // strided weight
        Tensor b = uniform(r, DType.BF16, -1, 1, 40);
        assertClose(rowNormReference(true, t, w, b, 1e-5), NN.layerNorm(t, w, b, 1e-5), RTOL, ATOL, "transposed rows");
        Tensor x16 = uniform(r, DType.BF16, -2, 2, 3, 4, 65);
        Tensor w16 = uniform(r, DType.BF16, 0.5, 1.5, 65);
        assertClose(rowNormReference(true, x16, w16, null, 1e-6), NN.layerNorm(x16, w16, null, 1e-6), RTOL, ATOL, "bf16");
        Tensor big = uniform(r, DType.F32, -2, 2, 300, 257);
        assertClose(rowNormReference(true, big, null, null, 1e-6), NN.layerNorm(big, null, null, 1e-6), RTOL, ATOL, "parallel rows");
        // BF16 output written through a transposed view.
        Tensor x = uniform(r, DType.F32, -2, 2, 6, 11);
        Tensor out = Tensor.zeros(DType.BF16, 11, 6);
        Backends.cpu().layerNorm(RowNormDims.of("layerNorm", x, null, null, 1e-6), x, null, null, out.t());
        double[] e = rowNormReference(true, x, null, null, 1e-6);
        for (int i = 0; i < e.length; i++) e[i] = Half.bf16ToFloat(Half.floatToBf16((float) e[i]));
        assertClose(e, out.t(), 1e-6, 1e-6, "bf16 output");
    }

    @Test
    void rmsNormMatchesTheReference() {
        Random r = new Random(24);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor x = uniform(r, DType.F32, -3, 3, 5, n);
            Tensor w = uniform(r, DType.F32, 0.5, 1.5, n);
            assertClose(rowNormReference(false, x, w, null, 1e-6), NN.rmsNorm(x, w, 1e-6), RTOL, ATOL, "rmsNorm n=" + n);
            assertClose(rowNormReference(false, x, null, null, 1e-5), NN.rmsNorm(x, null, 1e-5), RTOL, ATOL, "rmsNorm no weight n=" + n);
        }
        // Query heads as they arrive: [B, L, H, D] permuted to [B, H, L, D], BF16, with a BF16 weight.
        Tensor q = uniform(r, DType.BF16, -2, 2, 2, 9, 3, 128).permute(0, 2, 1, 3);
        Tensor w = uniform(r, DType.BF16, 0.5, 1.5, 128);
        assertClose(rowNormReference(false, q, w, null, 1e-6), NN.rmsNorm(q, w, 1e-6), RTOL, ATOL, "rmsNorm permuted bf16");
        Tensor t = uniform(r, DType.F32, -2, 2, 64, 33).t();
        assertClose(rowNormReference(false, t, null, null, 1e-6), NN.rmsNorm(t, null, 1e-6), RTOL, ATOL, "rmsNorm transposed");
    }

    /** GroupNorm over x [N, C, *] in double. */
    private static double[] groupNormReference(Tensor x, int groups, Tensor w, Tensor b, double eps) {
        int n = x.size(0), c = x.size(1);
        int spatial = (int) (x.numel() / ((long) n * c));
        double[] v = values(x);
        double[] wv = w == null ? null : values(w), bv = b == null ? null : values(b);
        int per = c / groups;
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                int start = (s * c + g * per) * spatial, count = per * spatial;
                double mean = 0, var = 0;
                for (int i = 0; i < count; i++) mean += v[start + i];
                mean /= count;
                for (int i = 0; i < count; i++) var += (v[start + i] - mean) * (v[start + i] - mean);
                var /= count;
                double rstd = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < count; i++) {
                    int ch = g * per + i / spatial;
                    double y = (v[start + i] - mean) * rstd;
                    if (wv != null) y *= wv[ch];
                    if (bv != null) y += bv[ch];
                    v[start + i] = y;
                }
            }
        }
        return v;
    }

    @Test
    void groupNormAgainstTheReference() {
        Random r = new Random(25);
        Tensor x = uniform(r, DType.F32, -2, 3, 2, 6, 5, 7);
        Tensor w = uniform(r, DType.F32, 0.5, 1.5, 6), b = uniform(r, DType.F32, -1, 1, 6);
        for (int g : new int[]{1, 2, 3, 6}) {
            assertClose(groupNormReference(x, g, w, b, 1e-6), NN.groupNorm(x, g, w, b, 1e-6), RTOL, ATOL, "groupNorm G=" + g);
            assertClose(groupNormReference(x, g, null, null, 1e-6), NN.groupNorm(x, g, null, null, 1e-6), RTOL, ATOL, "groupNorm no affine G=" + g);
        }
        Tensor x1 = uniform(r, DType.F32, -2, 3, 1, 4, 33);
        assertClose(groupNormReference(x1, 2, null, b.narrow(0, 0, 4), 1e-5), NN.groupNorm(x1, 2, null, b.narrow(0, 0, 4), 1e-5), RTOL, ATOL, "rank 3");
        Tensor x2 = uniform(r, DType.F32, -2, 3, 3, 8);
        assertClose(groupNormReference(x2, 4, null, null, 1e-6), NN.groupNorm(x2, 4, null, null, 1e-6), RTOL, ATOL, "no spatial axes");
    }

    @Test
    void groupNormOfChannelsLastHalfPrecisionAndLargeInputs() {
        Random r = new Random(26);
        Tensor nhwc = uniform(r, DType.F32, -2, 2, 2, 5, 7, 6).permute(0, 3, 1, 2); // [2, 6, 5, 7], channels innermost in memory
        Tensor w = uniform(r, DType.BF16, 0.5, 1.5, 6), b = uniform(r, DType.F32, -1, 1, 6);
        assertClose(groupNormReference(nhwc, 3, w, b, 1e-6), NN.groupNorm(nhwc, 3, w, b, 1e-6), RTOL, ATOL, "channels last");
        Tensor x16 = uniform(r, DType.BF16, -2, 2, 1, 8, 9, 9);
        assertClose(groupNormReference(x16, 4, null, null, 1e-6), NN.groupNorm(x16, 4, null, null, 1e-6), RTOL, ATOL, "bf16");
        Tensor big = uniform(r, DType.F32, -1, 3, 1, 16, 32, 32);
        Tensor wb = uniform(r, DType.F32, 0.5, 1.5, 16), bb = uniform(r, DType.F32, -1, 1, 16);
        assertClose(groupNormReference(big, 8, wb, bb, 1e-6), NN.groupNorm(big, 8, wb, bb, 1e-6), RTOL, ATOL, "parallel groups");
        Tensor narrowed = big.narrow(2, 3, 27).narrow(3, 1, 29);
        assertClose(groupNormReference(narrowed, 4, null, null, 1e-6), NN.groupNorm(narrowed, 4, null, null, 1e-6), RTOL, ATOL, "narrowed");
    }

    @Test
    void badArgumentsAreNamed() {
        Tensor x = Tensor.zeros(DType.F32, 2, 6, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NN.groupNorm(x, 4, null, null, 1e-6));
        assertTrue(e.getMessage().contains("4 groups") && e.getMessage().contains("6 channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.layerNorm(x, Tensor.zeros(DType.F32, 5), null, 1e-6));
        assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("[5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NN.groupNorm(x, 2, Tensor.zeros(DType.F32, 4), null, 1e-6));
        assertThrows(IllegalArgumentException.class, () -> NN.rmsNorm(x, null, -1));
        assertEquals(0, NN.layerNorm(Tensor.zeros(DType.F32, 0, 4), null, null, 1e-6).numel());
    }
}
