package flux2.tensor.cpu;

import static flux2.tensor.cpu.TestData.assertClose;
import static flux2.tensor.cpu.TestData.uniform;
import static flux2.tensor.cpu.TestData.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.RopeTable;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rotary embeddings against the two reference formulations: FLUX.2's interleaved pairs (diffusers builds cos/sin
 * with repeat_interleave(2) and rotates with (-x_odd, x_even)) and Mistral's rotate-half (emb = concat(angle,
 * angle), rot(x) = concat(-x2, x1), q' = q cos + rot(q) sin).
 */
class RopeTest {
    private static final double RTOL = 1e-6, ATOL = 1e-6;
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("rope-test"); }

    @AfterEach void close() { arena.close(); }

    /**
     * x * cosFull + rot(x) * sinFull, row by row, with cos/sin [.., L, D/2] broadcast over x's leading axes by
     * reading them through expand (a view) at each row.
     */
    private static double[] reference(RopeLayout layout, Tensor x, Tensor cos, Tensor sin) {
        int r = x.rank(), d = x.size(-1), h = d / 2;
        int[] tableShape = x.shape();
        tableShape[r - 1] = h;
        double[] xv = values(x), cv = values(cos.expand(tableShape)), sv = values(sin.expand(tableShape));
        double[] out = new double[xv.length];
        for (int row = 0; row < xv.length / d; row++) {
            int xo = row * d, to = row * h;
            double[] cosFull = new double[d], sinFull = new double[d], rot = new double[d];
            for (int j = 0; j < d; j++) {
                if (layout == RopeLayout.INTERLEAVED) {
                    cosFull[j] = cv[to + j / 2];           // repeat_interleave(2)
                    sinFull[j] = sv[to + j / 2];
                    rot[j] = j % 2 == 0 ? -xv[xo + j + 1] : xv[xo + j - 1];
                } else {
                    cosFull[j] = cv[to + j % h];           // concat(angle, angle)
                    sinFull[j] = sv[to + j % h];
                    rot[j] = j < h ? -xv[xo + j + h] : xv[xo + j - h];
                }
            }
            for (int j = 0; j < d; j++) out[xo + j] = xv[xo + j] * cosFull[j] + rot[j] * sinFull[j];
        }
        return out;
    }

    /** cos and sin tables [L, D/2] of real RoPE angles: position p times theta^(-2k/D). */
    private static Tensor[] tables(int length, int dim, double theta, int offset) {
        int h = dim / 2;
        float[] c = new float[length * h], s = new float[length * h];
        for (int p = 0; p < length; p++) {
            for (int k = 0; k < h; k++) {
                double angle = (p + offset) * Math.pow(theta, -2.0 * k / dim);
                c[p * h + k] = (float) Math.cos(angle);
                s[p * h + k] = (float) Math.sin(angle);
            }
        }
        return new Tensor[]{Tensor.of(c, length, h), Tensor.of(s, length, h)};
    }

    @Test
    void bothLayoutsAtOddHalfWidths() {
        Random r = new Random(31);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int d : new int[]{2, 6, 34, 128}) {
                Tensor x = uniform(r, DType.F32, -2, 2, 2, 3, 5, d);
                Tensor[] cs = tables(5, d, layout == RopeLayout.INTERLEAVED ? 2000 : 1e9, 0);
                assertClose(reference(layout, x, cs[0], cs[1]), NN.rope(layout, x, cs[0], cs[1]), RTOL, ATOL, layout + " D=" + d);
                Tensor c = uniform(r, DType.F32, -1, 1, 5, d / 2), s = uniform(r, DType.F32, -1, 1, 5, d / 2);
                assertClose(reference(layout, x, c, s), NN.rope(layout, x, c, s), RTOL, ATOL, layout + " random tables D=" + d);
            }
        }
    }

    @Test
    void perTokenTablesBroadcastOverHeadsAsInFlux() {
        Random r = new Random(32);
        int b = 2, heads = 3, l = 7, d = 16;
        Tensor x = uniform(r, DType.F32, -2, 2, b, heads, l, d);
        // FLUX.2 tables are per batch item and token: [B, 1, L, D/2].
        Tensor c = uniform(r, DType.F32, -1, 1, b, 1, l, d / 2), s = uniform(r, DType.F32, -1, 1, b, 1, l, d / 2);
        double[] e = reference(RopeLayout.INTERLEAVED, x, c, s);
        assertClose(e, NN.rope(RopeLayout.INTERLEAVED, x, c, s), RTOL, ATOL, "[B,1,L,D/2] as given");
        assertClose(e, NN.rope(RopeLayout.INTERLEAVED, x, c.expand(b, heads, l, d / 2), s.expand(b, heads, l, d / 2)), RTOL, ATOL,
                "[B,1,L,D/2] expanded");
        // A shared table [L, D/2] (or [1, L, D/2]) broadcast over batch and heads.
        Tensor c2 = uniform(r, DType.F32, -1, 1, l, d / 2), s2 = uniform(r, DType.F32, -1, 1, l, d / 2);
        assertClose(reference(RopeLayout.ROTATE_HALF, x, c2, s2), NN.rope(RopeLayout.ROTATE_HALF, x, c2, s2), RTOL, ATOL, "[L,D/2]");
        assertClose(reference(RopeLayout.ROTATE_HALF, x, c2, s2),
                NN.rope(RopeLayout.ROTATE_HALF, x, c2.unsqueeze(0), s2.unsqueeze(0)), RTOL, ATOL, "[1,L,D/2]");
    }

    @Test
    void stridedAndHalfPrecisionOperands() {
        Random r = new Random(33);
        int b = 2, l = 9, heads = 4, d = 32;
        // q as it comes out of a projection: [B, L, H, D] viewed as [B, H, L, D].
        Tensor q = uniform(r, DType.F32, -2, 2, b, l, heads, d).permute(0, 2, 1, 3);
        Tensor q16 = uniform(r, DType.BF16, -2, 2, b, l, heads, d).permute(0, 2, 1, 3);
        Tensor[] cs = tables(l, d, 2000, 3);
        Tensor c16 = cs[0].to(DType.BF16), s16 = cs[1].to(DType.BF16);
        Tensor cT = cs[0].t().contiguous().t();  // [L, D/2] with transposed strides
        for (RopeLayout layout : RopeLayout.values()) {
            assertClose(reference(layout, q, cs[0], cs[1]), NN.rope(layout, q, cs[0], cs[1]), RTOL, ATOL, layout + " permuted q");
            assertClose(reference(layout, q16, c16, s16), NN.rope(layout, q16, c16, s16), RTOL, ATOL, layout + " bf16");
            assertClose(reference(layout, q, cT, cs[1]), NN.rope(layout, q, cT, cs[1]), RTOL, ATOL, layout + " strided cos");
            // Written into a BF16 output, and in place.
            Tensor out16 = Tensor.zeros(DType.BF16, b, heads, l, d);
            Backends.cpu().rope(RopeTable.of(layout, q, cs[0], cs[1]), q, out16);
            double[] e = reference(layout, q, cs[0], cs[1]);
            for (int i = 0; i < e.length; i++) e[i] = flux2.tensor.Half.bf16ToFloat(flux2.tensor.Half.floatToBf16((float) e[i]));
            assertClose(e, out16, 1e-6, 1e-6, layout + " bf16 output");
            Tensor inPlace = q.contiguous().mul(1);
            double[] expect = reference(layout, inPlace, cs[0], cs[1]);
            Backends.cpu().rope(RopeTable.of(layout, inPlace, cs[0], cs[1]), inPlace, inPlace);
            assertClose(expect, inPlace, RTOL, ATOL, layout + " in place");
        }
        // Enough rows for several threads.
        Tensor big = uniform(r, DType.F32, -1, 1, 1, 8, 64, 128);
        Tensor[] t64 = tables(64, 128, 1e9, 0);
        assertClose(reference(RopeLayout.ROTATE_HALF, big, t64[0], t64[1]), NN.rope(RopeLayout.ROTATE_HALF, big, t64[0], t64[1]), RTOL, ATOL, "parallel");
    }

    @Test
    void scoresDependOnlyOnRelativePosition() {
        // The defining property of RoPE, for both layouts: <R(m) q, R(n) k> = <R(m+s) q, R(n+s) k>.
        Random r = new Random(34);
        int d = 64, l = 6;
        for (RopeLayout layout : RopeLayout.values()) {
            Tensor q = uniform(r, DType.F32, -1, 1, 1, d).expand(l, d), k = uniform(r, DType.F32, -1, 1, 1, d).expand(l, d);
            Tensor[] a = tables(l, d, 2000, 0), b = tables(l, d, 2000, 11);
            Tensor qa = NN.rope(layout, q, a[0], a[1]), ka = NN.rope(layout, k, a[0], a[1]);
            Tensor qb = NN.rope(layout, q, b[0], b[1]), kb = NN.rope(layout, k, b[0], b[1]);
            for (int m = 0; m < l; m++) {
                for (int n = 0; n < l; n++) {
                    double sa = 0, sb = 0;
                    for (int j = 0; j < d; j++) {
                        sa += qa.get(m, j) * ka.get(n, j);
                        sb += qb.get(m, j) * kb.get(n, j);
                    }
                    assertEquals(sa, sb, 1e-5, layout + " score (" + m + ", " + n + ")");
                }
            }
            // Position 0 is the identity.
            assertClose(values(q.narrow(0, 0, 1)), qa.narrow(0, 0, 1), 0, 0, layout + " position 0");
        }
    }

    @Test
    void badShapesAreNamed() {
        Tensor x = Tensor.zeros(DType.F32, 2, 5, 8);
        Tensor good = Tensor.zeros(DType.F32, 5, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NN.rope(RopeLayout.INTERLEAVED, x, Tensor.zeros(DType.F32, 5, 8), good));
        assertTrue(e.getMessage().contains("[5, 8]") && e.getMessage().contains("[2, 5, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NN.rope(RopeLayout.INTERLEAVED, x, good, Tensor.zeros(DType.F32, 4, 4)));
        assertThrows(IllegalArgumentException.class, () -> NN.rope(RopeLayout.INTERLEAVED, x, Tensor.zeros(DType.F32, 3, 5, 4), good));
        assertThrows(IllegalArgumentException.class,
                () -> NN.rope(RopeLayout.ROTATE_HALF, Tensor.zeros(DType.F32, 5, 7), Tensor.zeros(DType.F32, 5, 3), Tensor.zeros(DType.F32, 5, 3)));
    }
}
