package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.ConvGeometry;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Input and weight gradients of conv2d against the adjoint definitions as double-precision loops. */
class ConvBackwardTest {
    private TensorArena arena;
    private int threads;

    @BeforeEach void open() { arena = TensorArena.open("conv-backward-test"); threads = Parallel.threads(); }

    @AfterEach void close() { Parallel.setThreads(threads); arena.close(); }


    private static int[] outShape(int[] x, int[] w, int[] stride, int[] pad) {
        return new int[]{x[0], w[0], (x[2] + pad[0] + pad[1] - w[2]) / stride[0] + 1, (x[3] + pad[2] + pad[3] - w[3]) / stride[1] + 1};
    }

    /**
     * Walks every (image, cout, output pixel, cin, dy, dx) term of the forward sum in double: the input gradient
     * gets dOut * w at the input position, the weight gradient dOut * x at the weight position. Returns
     * {dx value, dx sum of |terms|, dw value, dw sum of |terms|}.
     */
    private static double[][] reference(Tensor x, Tensor w, Tensor dOut, int[] stride, int[] pad) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int cout = w.size(0), kh = w.size(2), kw = w.size(3), ho = dOut.size(2), wo = dOut.size(3);
        float[] xv = x.toFloatArray(), wv = w.toFloatArray(), gv = dOut.toFloatArray();
        double[] dx = new double[xv.length], dxm = new double[xv.length], dw = new double[wv.length], dwm = new double[wv.length];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++) {
                        double g = gv[((b * cout + co) * ho + oh) * wo + ow];
                        for (int ci = 0; ci < cin; ci++)
                            for (int dy = 0; dy < kh; dy++)
                                for (int dxk = 0; dxk < kw; dxk++) {
                                    int ih = oh * stride[0] - pad[0] + dy, iw = ow * stride[1] - pad[2] + dxk;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    int xi = ((b * cin + ci) * h + ih) * wd + iw, wi = ((co * cin + ci) * kh + dy) * kw + dxk;
                                    dx[xi] += g * wv[wi];
                                    dxm[xi] += Math.abs(g * wv[wi]);
                                    dw[wi] += g * xv[xi];
                                    dwm[wi] += Math.abs(g * xv[xi]);
                                }
                    }
        return new double[][]{dx, dxm, dw, dwm};
    }

    private static void compare(String what, Tensor got, double[] val, double[] mag) {
        float[] v = got.toFloatArray();
        assertEquals(val.length, v.length, what + ": size");
        for (int i = 0; i < v.length; i++) {
            // F32 accumulation error stays far below 1e-5 of the sum of |terms| for these reduction lengths.
            double tol = 1e-5 * mag[i] + 1e-7;
            if (!(Math.abs(v[i] - val[i]) <= tol))
                throw new AssertionError(what + ": element " + i + " is " + v[i] + ", expected " + val[i]);
        }
    }

    /** Both gradients through the backend into NaN-filled outputs (every element must be written) vs the loops. */
    private static void check(Tensor x, Tensor w, int[] stride, int[] pad, Random rnd) {
        Tensor dOut = TestData.uniform(rnd, DType.F32, -1, 1, outShape(x.shape(), w.shape(), stride, pad));
        check(x, w, dOut, stride, pad);
    }

    private static void check(Tensor x, Tensor w, Tensor dOut, int[] stride, int[] pad) {
        String what = "x " + Arrays.toString(x.shape()) + " w " + Arrays.toString(w.shape()) + " stride "
                + Arrays.toString(stride) + " pad " + Arrays.toString(pad);
        double[][] ref = reference(x, w, dOut, stride, pad);
        Tensor dx = Tensor.zeros(DType.F32, x.shape()).add(Double.NaN);
        x.backend().conv2dBackwardInput(ConvGeometry.backwardInput(dOut, w, stride, pad, dx.shape()).checkInputGradient(dx), dOut, w, dx);
        compare(what + " dx", dx, ref[0], ref[1]);
        Tensor dw = Tensor.zeros(DType.F32, w.shape()).add(Double.NaN);
        x.backend().conv2dBackwardWeight(ConvGeometry.backwardWeight(x, dOut, stride, pad, dw.shape()).checkWeightGradient(dw), x, dOut, dw);
        compare(what + " dw", dw, ref[2], ref[3]);
    }

    @Test void kernelSizesStridesAndPaddings() {
        Random rnd = new Random(1);
        int[][] kernels = {{1, 1}, {3, 3}, {4, 4}, {1, 3}};
        int[][] pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 0, 1}, {2, 0, 1, 3}};
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            for (int[] k : kernels)
                for (int s : new int[]{1, 2})
                    for (int[] p : pads)
                        check(TestData.uniform(rnd, DType.F32, -1, 1, 2, 5, 11, 13), TestData.uniform(rnd, DType.F32, -1, 1, 7, 5, k[0], k[1]), new int[]{s, s}, p, rnd);
        }
    }

    @Test void mixedStridesAndRowsTheStrideNeverReaches() {
        Random rnd = new Random(2);
        // 4x4 kernel, stride 3 over 12 rows: the last input rows are read by no output, so their gradient is 0.
        check(TestData.uniform(rnd, DType.F32, -1, 1, 1, 3, 12, 10), TestData.uniform(rnd, DType.F32, -1, 1, 4, 3, 4, 4), new int[]{3, 2}, new int[]{0, 0, 0, 0}, rnd);
        check(TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 9, 16), TestData.uniform(rnd, DType.F32, -1, 1, 6, 4, 3, 3), new int[]{2, 1}, new int[]{0, 1, 2, 0}, rnd);
        check(TestData.uniform(rnd, DType.F32, -1, 1, 1, 2, 1, 17), TestData.uniform(rnd, DType.F32, -1, 1, 3, 2, 1, 3), new int[]{1, 2}, new int[]{0, 0, 1, 1}, rnd);
    }

    @Test void longReductionsManyBandsAndGroups() {
        Random rnd = new Random(3);
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            // K = 40 * 9 = 360 im2col rows (two packing chunks) and 37 x 29 pixels (several bands either way).
            check(TestData.uniform(rnd, DType.F32, -1, 1, 1, 40, 37, 29), TestData.uniform(rnd, DType.F32, -1, 1, 13, 40, 3, 3), new int[]{1, 1}, new int[]{1, 1, 1, 1}, rnd);
            // 300 output channels: two reduction blocks for the input gradient, many channel blocks for the weight.
            check(TestData.uniform(rnd, DType.F32, -1, 1, 2, 6, 9, 10), TestData.uniform(rnd, DType.F32, -1, 1, 300, 6, 3, 3), new int[]{2, 2}, new int[]{0, 1, 0, 1}, rnd);
        }
    }

    @Test void nonContiguousOperandsAndOutputs() {
        Random rnd = new Random(4);
        int[] stride = {1, 1}, pad = {1, 2, 0, 1};
        // Channels-last input and gradient seen as [N, C, H, W]; transposed weights.
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 9, 11, 6).permute(0, 3, 1, 2);
        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 6, 10, 3, 3).transpose(0, 1);
        int[] os = outShape(x.shape(), w.shape(), stride, pad);
        Tensor dOut = TestData.uniform(rnd, DType.F32, -1, 1, os[0], os[2], os[3], os[1]).permute(0, 3, 1, 2);
        check(x, w, dOut, stride, pad);
        // Narrowed input and gradient: unit pixel stride, rows further apart than their width.
        Tensor xn = TestData.uniform(rnd, DType.F32, -1, 1, 2, 8, 12, 20).narrow(3, 3, 14).narrow(1, 1, 6).narrow(2, 1, 9);
        int[] s2 = {2, 1};
        int[] on = outShape(xn.shape(), w.shape(), s2, pad);
        Tensor dn = TestData.uniform(rnd, DType.F32, -1, 1, on[0], on[1] + 2, on[2], on[3] + 3).narrow(1, 1, on[1]).narrow(3, 2, on[3]);
        check(xn, w, dn, s2, pad);
        // Channels-last dx and a transposed dw are written element by element.
        double[][] ref = reference(x, w, dOut, stride, pad);
        Tensor dx = Tensor.zeros(DType.F32, 2, 9, 11, 6).add(Double.NaN).permute(0, 3, 1, 2);
        x.backend().conv2dBackwardInput(ConvGeometry.backwardInput(dOut, w, stride, pad, dx.shape()).checkInputGradient(dx), dOut, w, dx);
        compare("channels-last dx", dx, ref[0], ref[1]);
        Tensor dw = Tensor.zeros(DType.F32, 6, 10, 3, 3).add(Double.NaN).transpose(0, 1);
        x.backend().conv2dBackwardWeight(ConvGeometry.backwardWeight(x, dOut, stride, pad, dw.shape()).checkWeightGradient(dw), x, dOut, dw);
        compare("transposed dw", dw, ref[2], ref[3]);
    }

    @Test void bf16WeightsAndInputs() {
        Random rnd = new Random(5);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 3, 10, 9).to(DType.BF16);
        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 8, 3, 3, 3).to(DType.BF16);
        check(x, w, new int[]{1, 1}, new int[]{1, 1, 1, 1}, rnd);
        check(x, w, new int[]{2, 2}, new int[]{0, 1, 0, 1}, rnd);
    }

    @Test void wrappersAllocateF32OfTheGivenShapes() {
        Random rnd = new Random(6);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 8, 7), w = TestData.uniform(rnd, DType.F32, -1, 1, 5, 4, 3, 3);
        int[] stride = {2, 2}, pad = {0, 1, 0, 1};
        Tensor dOut = TestData.uniform(rnd, DType.F32, -1, 1, outShape(x.shape(), w.shape(), stride, pad));
        double[][] ref = reference(x, w, dOut, stride, pad);
        Tensor dx = NN.conv2dBackwardInput(dOut, w, stride, pad, x.shape());
        Tensor dw = NN.conv2dBackwardWeight(x, dOut, stride, pad, w.shape());
        assertEquals(DType.F32, dx.dtype());
        assertArrayEquals(x.shape(), dx.shape());
        assertArrayEquals(w.shape(), dw.shape());
        compare("NN dx", dx, ref[0], ref[1]);
        compare("NN dw", dw, ref[2], ref[3]);
    }

    @Test void adjointIdentities() {
        Random rnd = new Random(7);
        int[] stride = {2, 2}, pad = {0, 1, 0, 1};
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 6, 13, 11), w = TestData.uniform(rnd, DType.F32, -1, 1, 9, 6, 3, 3);
        Tensor y = NN.conv2d(x, w, null, stride, pad);
        Tensor g = TestData.uniform(rnd, DType.F32, -1, 1, y.shape());
        // <conv(x, w), g> = <x, dX(g)> = <w, dW(x, g)>: the gradients are the adjoints of the convolution.
        double lhs = dot(y, g);
        double viaX = dot(x, NN.conv2dBackwardInput(g, w, stride, pad, x.shape()));
        double viaW = dot(w, NN.conv2dBackwardWeight(x, g, stride, pad, w.shape()));
        assertEquals(lhs, viaX, 1e-4 * Math.abs(lhs) + 1e-4);
        assertEquals(lhs, viaW, 1e-4 * Math.abs(lhs) + 1e-4);
    }

    private static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }

    @Test void resultsDoNotDependOnThreadCount() {
        Random rnd = new Random(8);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 16, 24, 24), w = TestData.uniform(rnd, DType.F32, -1, 1, 16, 16, 3, 3);
        int[] stride = {1, 1}, pad = {1, 1, 1, 1};
        Tensor g = TestData.uniform(rnd, DType.F32, -1, 1, 2, 16, 24, 24);
        float[][] dx = new float[2][], dw = new float[2][];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            dx[t - 1] = NN.conv2dBackwardInput(g, w, stride, pad, x.shape()).toFloatArray();
            dw[t - 1] = NN.conv2dBackwardWeight(x, g, stride, pad, w.shape()).toFloatArray();
        }
        assertTrue(Arrays.equals(dx[0], dx[1]), "dx: same sums in the same order whatever the split");
        assertTrue(Arrays.equals(dw[0], dw[1]), "dw: same sums in the same order whatever the split");
    }

    @Test void badShapesAreClearErrors() {
        Random rnd = new Random(9);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 1, 4, 5, 5), w = TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 3, 3), g = TestData.uniform(rnd, DType.F32, -1, 1, 1, 2, 5, 5);
        int[] s = {1, 1}, p = {1, 1, 1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NN.conv2dBackwardInput(g, w, s, p, new int[]{1, 3, 5, 5}));
        assertTrue(e.getMessage().contains("conv2dBackwardInput") && e.getMessage().contains("channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.conv2dBackwardInput(g, w, s, p, new int[]{1, 4, 6, 5}));
        assertTrue(e.getMessage().contains("[1, 2, 6, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.backwardWeight(x, g, s, p, w.shape()).checkWeightGradient(Tensor.zeros(DType.BF16, 2, 4, 3, 3)));
        assertTrue(e.getMessage().contains("dw must be F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.conv2dBackwardWeight(x, g, s, p, new int[]{2, 4, 3}));
        assertTrue(e.getMessage().contains("[Cout, Cin, kh, kw]"), e.getMessage());
    }
}
