package flux2.tensor.cpu;

import static flux2.tensor.cpu.TestData.assertClose;
import static flux2.tensor.cpu.TestData.uniform;
import static flux2.tensor.cpu.TestData.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.Ops;
import flux2.tensor.ReduceOp;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.Reduction;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReduceTest {
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("reduce-test"); }

    @AfterEach void close() { arena.close(); }

    /** SUM, MEAN or MAX over axes by a double loop over every element; kept-dim layout. */
    private static double[] reference(ReduceOp op, Tensor x, int... axes) {
        int[] shape = x.shape();
        boolean[] red = new boolean[shape.length];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int a : axes) red[a < 0 ? a + shape.length : a] = true;
        int[] outShape = shape.clone();
        long count = 1;
        for (int i = 0; i < shape.length; i++) if (red[i]) { outShape[i] = 1; count *= shape[i]; }
        double[] xv = values(x);
        double[] out = new double[(int) flux2.tensor.Shapes.numel(outShape)];
        if (op == ReduceOp.MAX) Arrays.fill(out, Double.NEGATIVE_INFINITY);
        long[] outStride = flux2.tensor.Shapes.contiguousStrides(outShape);
        int[] idx = new int[shape.length];
        for (int e = 0; e < xv.length; e++) {
            int o = 0;
            for (int i = 0; i < shape.length; i++) if (!red[i]) o += (int) (idx[i] * outStride[i]);
            out[o] = op == ReduceOp.MAX ? Math.max(out[o], xv[e]) : out[o] + xv[e];
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        if (op == ReduceOp.MEAN) for (int i = 0; i < out.length; i++) out[i] /= count;
        return out;
    }

    private static void check(Tensor x, int[] axes, String what) {
        for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX}) {
            double[] e = reference(op, x, axes);
            Tensor keep = Ops.reduce(op, x, true, axes);
            // Float output of a double sum: the only error is the final rounding.
            assertClose(e, keep, 1e-6, 1e-6, op + " " + what + " axes " + Arrays.toString(axes));
            Tensor dropped = Ops.reduce(op, x, false, axes);
            assertEquals(keep.numel(), dropped.numel());
            assertClose(e, dropped, 1e-6, 1e-6, op + " " + what + " (dims dropped)");
        }
    }

    @Test
    void everyAxisSetOfARank4Tensor() {
        Random r = new Random(11);
        Tensor x = uniform(r, DType.F32, -2, 2, 3, 4, 5, 6);
        int[][] sets = {{0}, {1}, {2}, {3}, {-1}, {1, 2}, {0, 2}, {1, 3}, {0, 3}, {0, 1, 3}, {0, 1, 2, 3}, {}};
        for (int[] axes : sets) check(x, axes, "[3,4,5,6]");
        assertArrayEquals(new int[0], x.sum().shape());
        assertArrayEquals(new int[]{4, 6}, x.sum(0, 2).shape());
        assertArrayEquals(new int[]{1, 4, 1, 6}, x.sumKeepDim(0, 2).shape());
    }

    @Test
    void oddSizesAndVectorTails() {
        Random r = new Random(12);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor x = uniform(r, DType.F32, -5, 5, 3, n);
            check(x, new int[]{1}, "[3," + n + "]");
            check(x, new int[]{0}, "[3," + n + "]");
            check(x, new int[]{}, "[3," + n + "]");
        }
        // All values negative: MAX must not start from 0.
        Tensor neg = uniform(new Random(13), DType.F32, -9, -1, 5, 17);
        check(neg, new int[]{1}, "negative");
        check(neg, new int[]{0}, "negative");
    }

    @Test
    void nonContiguousAndExpandedInputs() {
        Random r = new Random(14);
        Tensor base = uniform(r, DType.F32, -1, 1, 6, 7, 40);
        Tensor perm = base.permute(2, 0, 1);                 // [40, 6, 7], innermost stride 40
        Tensor narrowed = base.narrow(2, 3, 33).narrow(0, 1, 4);
        Tensor expanded = uniform(r, DType.F32, -1, 1, 6, 1, 9).expand(6, 5, 9);
        for (int[] axes : new int[][]{{0}, {2}, {1, 2}, {0, 2}, {}}) {
            check(perm, axes, "permuted");
            check(narrowed, axes, "narrowed");
            check(expanded, axes, "expanded");
        }
    }

    @Test
    void halfPrecisionInput() {
        Random r = new Random(15);
        Tensor x = uniform(r, DType.BF16, -3, 3, 9, 37);
        for (int[] axes : new int[][]{{0}, {1}, {}}) check(x, axes, "bf16");
        check(x.t(), new int[]{1}, "bf16 transposed");
        check(uniform(r, DType.F16, -3, 3, 5, 11), new int[]{1}, "f16");
    }

    @Test
    void columnSumsOverLeadingAxesAndLargeInputs() {
        Random r = new Random(16);
        // Bias-gradient shape: sum over the batch rows of [B*L, N].
        Tensor x = uniform(r, DType.F32, -1, 1, 129, 1031);
        check(x, new int[]{0}, "[129,1031]");
        Tensor y = uniform(r, DType.F32, -1, 1, 7, 300, 33);
        check(y, new int[]{0, 1}, "[7,300,33]");
        check(y, new int[]{1}, "[7,300,33]");
        // Few outputs over many elements: each reduction is split across threads.
        Tensor z = uniform(r, DType.F32, -1, 1, 2, 70_001);
        check(z, new int[]{1}, "[2,70001]");
        check(z, new int[]{}, "[2,70001]");
    }

    @Test
    void meanOfAMillionElementsIsAccurate() {
        Random r = new Random(17);
        int n = 1_000_000;
        float[] v = new float[n];
        double exact = 0;
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + 1e-3 * r.nextGaussian());
            exact += v[i];
        }
        exact /= n;
        Tensor x = Tensor.of(v, n);
        double got = x.mean().item();
        assertEquals(exact, got, 1e-6 * Math.abs(exact), "mean of 1e6 elements");
        Tensor rows = x.reshape(1000, 1000);
        assertEquals(exact, rows.t().mean().item(), 1e-6 * Math.abs(exact));
        assertEquals(exact, rows.mean(0).mean().item(), 1e-6 * Math.abs(exact));
    }

    @Test
    void argmaxTakesTheFirstOfTiesAlongAnyAxis() {
        Tensor x = Tensor.of(new float[]{
                1, 3, 3, 0,
                5, 5, 5, 5,
                -1, -2, 6, 5}, 3, 4);
        assertArrayEquals(new long[]{1, 0, 2}, x.argmax(1).toLongArray());
        assertArrayEquals(new long[]{1, 1, 2, 1}, x.argmax(0).toLongArray());
        assertEquals(DType.I64, x.argmax(1).dtype());
        assertArrayEquals(new long[]{1, 0, 2}, x.t().argmax(0).toLongArray());
        assertArrayEquals(new long[]{1, 1, 2, 1}, x.t().argmax(-1).toLongArray());
        Tensor keep = Ops.reduce(ReduceOp.ARGMAX, x, true, 1);
        assertArrayEquals(new int[]{3, 1}, keep.shape());
        // NaN is the maximum (first NaN wins), as in PyTorch.
        Tensor nan = Tensor.of(new float[]{1, Float.NaN, 7, Float.NaN}, 4);
        assertEquals(1, nan.argmax(0).item());
        Tensor inf = Tensor.of(new float[]{Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2);
        assertEquals(0, inf.argmax(0).item());
    }

    @Test
    void argmaxAgainstALoop() {
        Random r = new Random(18);
        // Values on a coarse grid so that ties are common.
        float[] v = new float[5 * 6 * 37];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(4);
        Tensor x = Tensor.of(v, 5, 6, 37);
        for (Tensor t : new Tensor[]{x, x.permute(2, 1, 0), x.to(DType.BF16)}) {
            for (int axis = 0; axis < 3; axis++) {
                Tensor got = t.argmax(axis);
                int[] shape = t.shape();
                int[] idx = new int[3];
                long[] g = got.toLongArray();
                int k = 0;
                for (idx[0] = 0; idx[0] < (axis == 0 ? 1 : shape[0]); idx[0]++)
                    for (idx[1] = 0; idx[1] < (axis == 1 ? 1 : shape[1]); idx[1]++)
                        for (idx[2] = 0; idx[2] < (axis == 2 ? 1 : shape[2]); idx[2]++) {
                            int[] j = idx.clone();
                            int best = 0;
                            double bv = Double.NEGATIVE_INFINITY;
                            for (int i = 0; i < shape[axis]; i++) {
                                j[axis] = i;
                                if (t.get(j) > bv) { bv = t.get(j); best = i; }
                            }
                            assertEquals(best, g[k++], "argmax axis " + axis + " at " + Arrays.toString(idx));
                        }
            }
        }
    }

    @Test
    void reductionsPropagateNaNAndHandleEmptyAxes() {
        Tensor x = Tensor.of(new float[]{1, Float.NaN, 3, 4, 5, 6, 7, 8, 9, 10}, 2, 5);
        assertTrue(Double.isNaN(x.max(1).get(0)));
        assertEquals(10, x.max(1).get(1));
        assertTrue(Double.isNaN(x.sum().item()));
        Tensor empty = Tensor.zeros(DType.F32, 3, 0);
        assertArrayEquals(new float[]{0, 0, 0}, empty.sum(1).toFloatArray());
        assertTrue(Double.isNaN(empty.mean(1).get(0)));
        assertThrows(IllegalArgumentException.class, () -> empty.max(1));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Reduction.of(ReduceOp.SUM, x, 1).checkOutput(Tensor.zeros(DType.F32, 2)));
        assertTrue(bad.getMessage().contains("[2, 1]"), bad.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Reduction.of(ReduceOp.ARGMAX, x, 0, 1));
    }

    // ---------------------------------------------------------------- softmax

    private static double[] softmaxReference(Tensor x) {
        int n = x.size(-1);
        double[] v = values(x);
        for (int r0 = 0; r0 < v.length; r0 += n) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) m = Math.max(m, v[r0 + i]);
            double s = 0;
            for (int i = 0; i < n; i++) s += Math.exp(v[r0 + i] - m);
            for (int i = 0; i < n; i++) v[r0 + i] = Math.exp(v[r0 + i] - m) / s;
        }
        return v;
    }

    @Test
    void softmaxOverOddRowLengthsAndStridedInputs() {
        Random r = new Random(19);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor x = uniform(r, DType.F32, -10, 10, 5, n);
            assertClose(softmaxReference(x), x.softmax(), 2e-6, 1e-9, "softmax n=" + n);
        }
        Tensor t = uniform(r, DType.F32, -5, 5, 37, 21).t();
        assertClose(softmaxReference(t), t.softmax(), 2e-6, 1e-9, "softmax transposed");
        Tensor b = uniform(r, DType.BF16, -5, 5, 3, 4, 50);
        assertClose(softmaxReference(b), b.softmax(), 2e-6, 1e-9, "softmax bf16");
        Tensor big = uniform(r, DType.F32, -5, 5, 64, 777);
        assertClose(softmaxReference(big), big.softmax(), 2e-6, 1e-9, "softmax parallel");
        // Written into a transposed BF16 output.
        Tensor x = uniform(r, DType.F32, -3, 3, 6, 9);
        Tensor out = Tensor.zeros(DType.BF16, 9, 6);
        Backends.cpu().softmax(x, out.t());
        double[] e = softmaxReference(x);
        for (int i = 0; i < e.length; i++) e[i] = Half.bf16ToFloat(Half.floatToBf16((float) e[i]));
        assertClose(e, out.t(), 4e-3, 1e-9, "softmax into bf16");
    }

    @Test
    void softmaxWithInfinitiesAndLargeValues() {
        float inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new float[]{
                -inf, 0, 1, -inf,
                1e30f, 1e30f, -1e30f, 0,
                88, 100, 89, 90,
                -inf, -inf, -inf, -inf}, 4, 4);
        Tensor s = x.softmax();
        double[] e = softmaxReference(x);
        assertClose(Arrays.copyOf(e, 12), s.narrow(0, 0, 3), 2e-6, 1e-12, "softmax extremes");
        assertEquals(0, s.get(0, 0));
        assertEquals(0.5, s.get(1, 0), 1e-7);
        // A row with every entry masked has no distribution: NaN, as PyTorch gives.
        for (int i = 0; i < 4; i++) assertTrue(Double.isNaN(s.get(3, i)));
    }
}
