package flux2.tensor.cpu;

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

/** conv2d against a direct double-precision loop over many geometries, layouts and thread counts. */
class ConvTest {
    private TensorArena arena;
    private int threads;

    @BeforeEach void open() { arena = TensorArena.open("conv-test"); threads = Parallel.threads(); }

    @AfterEach void close() { Parallel.setThreads(threads); arena.close(); }


    /** Direct convolution in double; returns {value, sum of |terms|} per output element. */
    private static double[][] reference(Tensor x, Tensor w, Tensor bias, int[] stride, int[] pad) {
        int n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
        int cout = w.size(0), kh = w.size(2), kw = w.size(3);
        int ho = (h + pad[0] + pad[1] - kh) / stride[0] + 1, wo = (wd + pad[2] + pad[3] - kw) / stride[1] + 1;
        float[] xv = x.toFloatArray(), wv = w.toFloatArray(), bv = bias == null ? null : bias.toFloatArray();
        double[] val = new double[n * cout * ho * wo], mag = new double[val.length];
        for (int b = 0; b < n; b++)
            for (int co = 0; co < cout; co++)
                for (int oh = 0; oh < ho; oh++)
                    for (int ow = 0; ow < wo; ow++) {
                        double s = bv == null ? 0 : bv[co], m = Math.abs(s);
                        for (int ci = 0; ci < cin; ci++)
                            for (int dy = 0; dy < kh; dy++)
                                for (int dx = 0; dx < kw; dx++) {
                                    int ih = oh * stride[0] - pad[0] + dy, iw = ow * stride[1] - pad[2] + dx;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    double t = (double) xv[((b * cin + ci) * h + ih) * wd + iw] * wv[((co * cin + ci) * kh + dy) * kw + dx];
                                    s += t;
                                    m += Math.abs(t);
                                }
                        int o = ((b * cout + co) * ho + oh) * wo + ow;
                        val[o] = s;
                        mag[o] = m;
                    }
        return new double[][]{val, mag};
    }

    private static void check(Tensor x, Tensor w, Tensor bias, int[] stride, int[] pad) {
        Tensor out = NN.conv2d(x, w, bias, stride, pad);
        compare(out, reference(x, w, bias, stride, pad), x, w, stride, pad);
    }

    private static void compare(Tensor out, double[][] ref, Tensor x, Tensor w, int[] stride, int[] pad) {
        float[] got = out.toFloatArray();
        assertEquals(ref[0].length, got.length, "output size");
        for (int i = 0; i < got.length; i++) {
            // F32 accumulation error stays far below 1e-5 of the sum of |terms| for these reduction lengths.
            double tol = 1e-5 * ref[1][i] + 1e-7;
            if (Math.abs(got[i] - ref[0][i]) > tol)
                throw new AssertionError("x " + Arrays.toString(x.shape()) + " w " + Arrays.toString(w.shape()) + " stride "
                        + Arrays.toString(stride) + " pad " + Arrays.toString(pad) + ": element " + i + " is " + got[i]
                        + ", expected " + ref[0][i]);
        }
    }

    @Test void kernelSizesStridesAndPaddings() {
        Random rnd = new Random(1);
        int[][] kernels = {{1, 1}, {3, 3}, {4, 4}, {1, 3}};
        int[][] pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 0, 1}, {2, 0, 1, 3}};
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            for (int[] k : kernels)
                for (int s : new int[]{1, 2})
                    for (int[] p : pads) {
                        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 5, 11, 13);
                        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 7, 5, k[0], k[1]);
                        Tensor b = TestData.uniform(rnd, DType.F32, -1, 1, 7);
                        check(x, w, b, new int[]{s, s}, p);
                    }
        }
    }

    @Test void vaeDownsampleAsymmetricPadStrideTwo() {
        Random rnd = new Random(2);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 1, 9, 16, 16);
        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 9, 9, 3, 3);
        Tensor out = NN.conv2d(x, w, TestData.uniform(rnd, DType.F32, -1, 1, 9), new int[]{2, 2}, new int[]{0, 1, 0, 1});
        assertEquals(Arrays.toString(new int[]{1, 9, 8, 8}), Arrays.toString(out.shape()));
        check(x, w, null, new int[]{2, 2}, new int[]{0, 1, 0, 1});
        check(x, w, null, new int[]{2, 1}, new int[]{0, 1, 2, 0});
    }

    @Test void longReductionManyBandsAndChannelGroups() {
        Random rnd = new Random(3);
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            // K = 40*9 = 360 > one reduction block; 37x29 pixels span several bands.
            check(TestData.uniform(rnd, DType.F32, -1, 1, 1, 40, 37, 29), TestData.uniform(rnd, DType.F32, -1, 1, 13, 40, 3, 3), TestData.uniform(rnd, DType.F32, -1, 1, 13), new int[]{1, 1}, new int[]{1, 1, 1, 1});
            // One band only: output channels are split across threads instead.
            check(TestData.uniform(rnd, DType.F32, -1, 1, 1, 6, 5, 7), TestData.uniform(rnd, DType.F32, -1, 1, 31, 6, 3, 3), TestData.uniform(rnd, DType.F32, -1, 1, 31), new int[]{1, 1}, new int[]{1, 1, 1, 1});
            // 1x1 as a plain GEMM with many input channels.
            check(TestData.uniform(rnd, DType.F32, -1, 1, 2, 300, 6, 10), TestData.uniform(rnd, DType.F32, -1, 1, 19, 300, 1, 1), null, new int[]{1, 1}, new int[]{0, 0, 0, 0});
        }
    }

    @Test void bf16WeightsAndBias() {
        Random rnd = new Random(4);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 2, 3, 10, 9);
        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 8, 3, 3, 3).to(DType.BF16);
        Tensor b = TestData.uniform(rnd, DType.F32, -1, 1, 8).to(DType.BF16);
        check(x, w, b, new int[]{1, 1}, new int[]{1, 1, 1, 1});
        check(x, w, b, new int[]{2, 2}, new int[]{0, 1, 0, 1});
    }

    @Test void nonContiguousInputsAndOutput() {
        Random rnd = new Random(5);
        int[] stride = {1, 1}, pad = {1, 2, 0, 1};
        // Channels-last storage seen as [N, C, H, W]: the pixel stride is not 1.
        Tensor xl = TestData.uniform(rnd, DType.F32, -1, 1, 2, 9, 11, 6).permute(0, 3, 1, 2);
        Tensor w = TestData.uniform(rnd, DType.F32, -1, 1, 10, 6, 3, 3);
        Tensor b = TestData.uniform(rnd, DType.F32, -1, 1, 10);
        check(xl, w, b, stride, pad);
        // Narrowed rows and channels: unit pixel stride but rows further apart than W.
        Tensor xn = TestData.uniform(rnd, DType.F32, -1, 1, 2, 8, 12, 20).narrow(3, 3, 14).narrow(1, 1, 6).narrow(2, 1, 9);
        check(xn, w, b, new int[]{2, 1}, pad);
        // Transposed weights and a BF16 input.
        Tensor wt = TestData.uniform(rnd, DType.F32, -1, 1, 6, 10, 3, 3).transpose(0, 1);
        check(xn.to(DType.BF16), wt, null, stride, pad);
        // A channels-last output: tiles are written element by element.
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 1, 6, 7, 9);
        int[] s2 = {1, 1}, p2 = {1, 1, 1, 1};
        Tensor out = Tensor.zeros(DType.F32, 1, 7, 9, 10).permute(0, 3, 1, 2);
        x.backend().conv2d(ConvGeometry.forward(x, w, b, s2, p2).checkOutput(out), x, w, b, out);
        compare(out, reference(x, w, b, s2, p2), x, w, s2, p2);
    }

    @Test void resultsDoNotDependOnThreadCount() {
        Random rnd = new Random(6);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 1, 16, 24, 24), w = TestData.uniform(rnd, DType.F32, -1, 1, 16, 16, 3, 3);
        Parallel.setThreads(1);
        float[] one = NN.conv2d(x, w, null, 1, 1).toFloatArray();
        Parallel.setThreads(2);
        float[] two = NN.conv2d(x, w, null, 1, 1).toFloatArray();
        assertTrue(Arrays.equals(one, two), "same sums in the same order whatever the split");
    }

    @Test void scratchDependsOnChannelsNotOnImageSize() {
        long[] bytes = new long[2];
        int i = 0;
        for (int size : new int[]{256, 4096}) {
            Tensor x = Tensor.zeros(DType.F32, 1, 1, 1, 1).expand(1, 512, size, size);
            Tensor w = Tensor.zeros(DType.F32, 1, 1, 1, 1).expand(512, 512, 3, 3);
            Tensor out = Tensor.zeros(DType.F32, 1, 1, 1, 1).expand(1, 512, size, size);
            ConvGeometry g = ConvGeometry.forward(x, w, null, new int[]{1, 1}, new int[]{1, 1, 1, 1}).checkOutput(out);
            CpuConv.Plan plan = CpuConv.Plan.of(g, 2);
            // Only the padded input row grows with the width; the packed band stays the same.
            bytes[i++] = plan.scratchBytesPerThread(g) - (long) ConvPacking.paddedRowLength(g) * Float.BYTES;
            assertTrue(plan.scratchBytesPerThread(g) < 2L << 20, "per-thread scratch " + plan.scratchBytesPerThread(g));
        }
        assertEquals(bytes[0], bytes[1]);
    }

    @Test void badShapesAreClearErrors() {
        Random rnd = new Random(7);
        Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 1, 4, 5, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NN.conv2d(x, TestData.uniform(rnd, DType.F32, -1, 1, 2, 3, 3, 3), null, 1, 1));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.conv2d(x, TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 7, 7), null, 1, 0));
        assertTrue(e.getMessage().contains("smaller than the kernel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvGeometry.forward(x, TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 3, 3), null, new int[]{1, 1}, new int[]{1, 1, 1, 1})
                        .checkOutput(Tensor.zeros(DType.F32, 1, 2, 4, 5)));
        assertTrue(e.getMessage().contains("[1, 2, 5, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NN.conv2d(x, TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 3, 3), TestData.uniform(rnd, DType.F32, -1, 1, 3), 1, 1));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.conv2d(x.reshape(4, 5, 5), TestData.uniform(rnd, DType.F32, -1, 1, 2, 4, 3, 3), null, 1, 1));
        assertTrue(e.getMessage().contains("[N, Cin, H, W]"), e.getMessage());
    }
}
