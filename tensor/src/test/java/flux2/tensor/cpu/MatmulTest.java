package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.cpu.CpuMatmul.Path;
import flux2.tensor.cpu.GemmBlocked.Blocking;
import flux2.tensor.ops.MatmulDims;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** CpuMatmul against a double-precision reference, over shapes, layouts, dtypes, batches and thread counts. */
class MatmulTest {
    /** Max |c - ref| / sum|a*b| allowed: FP32 accumulation over at most ~600 terms stays far below it. */
    private static final double TOL = 1e-5;
    /** The kernel of this machine's vector width; {@link #everyKernelOnRaggedShapes} runs the other one too. */
    private static final GemmKernel KERNEL = GemmKernel.PREFERRED;
    private static final Blocking DEFAULT = Blocking.preferred();
    /** Tiny blocks, so that moderate shapes cross every block edge (several jc, pc and ic blocks, ragged). */
    private static final Blocking SMALL = new Blocking(KERNEL, 12, 8, 32);
    /** Odd blocks with a kc that leaves an odd remainder for the unrolled k loop. */
    private static final Blocking ODD = new Blocking(KERNEL, 3 * KERNEL.mr, 7, 3 * KERNEL.nr);
    private static final int[][] SHAPES = {{1, 1, 1}, {7, 17, 5}, {37, 53, 300}, {150, 413, 611}}; // M, N, K

    private final Random rnd = new Random(42);
    private int savedThreads;
    private TensorArena arena;

    @BeforeEach
    void setUp() {
        savedThreads = Parallel.threads();
        arena = TensorArena.open("matmul-test");
    }

    @AfterEach
    void tearDown() {
        arena.close();
        Parallel.setThreads(savedThreads);
    }

    @Test
    void oddShapesEveryPathAndLayout() {
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            boolean big = (long) m * n * k > 1_000_000;
            for (DType bt : new DType[]{DType.F32, DType.BF16}) {
                for (boolean aT : new boolean[]{false, true}) {
                    for (boolean bT : new boolean[]{false, true}) {
                        // The largest shape runs only the paths and layouts that matter there, to keep the class fast.
                        if (big && aT && !bT) continue;
                        Tensor a = aT ? rand(k, m).t() : rand(m, k);
                        Tensor b = bT ? weight(n, k, bt).t() : rand(k, n).to(bt);
                        Reference ref = new Reference(a, b);
                        for (int threads : new int[]{1, 2}) {
                            Parallel.setThreads(threads);
                            String label = m + "x" + n + "x" + k + " " + bt + " aT=" + aT + " bT=" + bT + " threads=" + threads;
                            ref.check(Path.AUTO, DEFAULT, label + " auto");
                            ref.check(Path.BLOCKED, SMALL, label + " blocked small");
                            if (!big) {
                                ref.check(Path.DIRECT, DEFAULT, label + " direct");
                                ref.check(Path.BLOCKED, ODD, label + " blocked odd");
                                ref.check(Path.BLOCKED, DEFAULT, label + " blocked");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void kernelFollowsTheVectorWidth() {
        assertEquals(GemmKernel.AVX2, GemmKernel.forVectorBits(256));
        assertEquals(GemmKernel.AVX512, GemmKernel.forVectorBits(512));
        assertEquals(GemmKernel.forVectorBits(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize()), GemmKernel.PREFERRED);
        assertEquals(GemmKernel.PREFERRED.nr, GemmPanels.PANEL_WIDTH);
    }

    /**
     * Both micro-kernels (6x16 on 256-bit vectors, 12x32 on 512-bit ones) on every edge and layout, whatever
     * this machine's width: where the hardware lacks a width the Vector API emulates it (slowly but exactly),
     * so the shapes are small.
     */
    @Test
    @Tag("every-vector-width")
    void everyKernelOnRaggedShapes() {
        for (GemmKernel kernel : new GemmKernel[]{GemmKernel.AVX2, GemmKernel.AVX512}) {
            Blocking tiny = new Blocking(kernel, 2 * kernel.mr, 7, 2 * kernel.nr);
            for (int[] s : new int[][]{{1, 1, 1}, {7, 17, 5}, {37, 53, 40}, {25, 70, 45}}) {
                for (DType bt : new DType[]{DType.F32, DType.BF16}) {
                    for (int layout = 0; layout < 4; layout++) {
                        boolean aT = (layout & 1) != 0, bT = (layout & 2) != 0;
                        Tensor a = aT ? rand(s[2], s[0]).t() : rand(s[0], s[2]);
                        Tensor b = bT ? weight(s[1], s[2], bt).t() : rand(s[2], s[1]).to(bt);
                        String label = kernel + " " + s[0] + "x" + s[1] + "x" + s[2] + " " + bt + " aT=" + aT + " bT=" + bT;
                        for (int threads : new int[]{1, 2}) {
                            Parallel.setThreads(threads);
                            check(a, b, false, Path.BLOCKED, kernel.blocking, label + " t=" + threads);
                            check(a, b, true, Path.BLOCKED, tiny, label + " tiny accumulate t=" + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void rowAndColumnSplitsAcrossThreads() {
        Parallel.setThreads(2);
        // Few rows: the blocked path splits B panels; many rows: it splits rows. Both with a shared packed B.
        for (int[] s : new int[][]{{7, 300, 200}, {13, 257, 130}, {97, 70, 90}, {200, 37, 64}}) {
            for (DType bt : new DType[]{DType.F32, DType.BF16}) {
                Tensor a = rand(s[0], s[2]);
                check(a, weight(s[1], s[2], bt).t(), false, Path.BLOCKED, DEFAULT, "split " + s[0] + "x" + s[1] + "x" + s[2] + " " + bt);
                check(a, weight(s[1], s[2], bt).t(), false, Path.BLOCKED, SMALL, "split small " + s[0] + "x" + s[1] + "x" + s[2] + " " + bt);
            }
        }
        // Matrix-vector products large enough to split columns in the direct path.
        for (DType bt : new DType[]{DType.F32, DType.BF16}) {
            check(rand(1, 611), weight(530, 611, bt).t(), false, Path.AUTO, DEFAULT, "gemv W.t() " + bt);
            check(rand(2, 611), rand(611, 530).to(bt), false, Path.AUTO, DEFAULT, "gemv rows " + bt);
        }
    }

    @Test
    void accumulateAddsIntoOut() {
        for (int threads : new int[]{1, 2}) {
            Parallel.setThreads(threads);
            for (Path path : Path.values()) {
                for (Blocking bl : new Blocking[]{DEFAULT, SMALL}) {
                    check(rand(37, 300), weight(53, 300, DType.BF16).t(), true, path, bl, "accumulate " + path + " " + bl + " t=" + threads);
                    check(rand(2, 40), rand(40, 33), true, path, bl, "accumulate gemv " + path + " " + bl + " t=" + threads);
                }
            }
        }
    }

    @Test
    void stridedAndNonContiguousOperands() {
        // B with neither axis contiguous, A narrowed, out transposed (column stride != 1) and out narrowed.
        Tensor bBig = rand(2 * 45, 3 * 29);
        Tensor b = bBig.slice(0, 1, 90, 2).slice(1, 0, 87, 3); // [45, 29] strides (174, 3)
        Tensor a = rand(31, 60).narrow(1, 7, 45);
        for (Path path : Path.values()) {
            check(a, b, false, path, SMALL, "strided b " + path);
            check(a, b.to(DType.BF16).slice(1, 0, 29, 1), false, path, SMALL, "bf16 b " + path);
            Tensor outT = Tensor.zeros(DType.F32, 29, 31).t();
            checkInto(a, b, outT, false, path, SMALL, "transposed out " + path);
            Tensor outN = Tensor.zeros(DType.F32, 31, 40).narrow(1, 5, 29);
            checkInto(a, b, outN, true, path, DEFAULT, "narrowed out " + path);
        }
    }

    @Test
    void batchedAndBroadcastBatches() {
        for (int threads : new int[]{1, 2}) {
            Parallel.setThreads(threads);
            for (Path path : Path.values()) {
                String t = " " + path + " t=" + threads;
                // Independent batches.
                check(rand(3, 2, 19, 23), rand(3, 2, 23, 21), false, path, SMALL, "batched" + t);
                // A shared weight expanded over the batch (stride 0): folded into rows.
                Tensor w = weight(21, 23, DType.BF16).t();
                check(rand(3, 2, 19, 23), w.expand(3, 2, 23, 21), false, path, SMALL, "expanded weight" + t);
                check(rand(3, 2, 19, 23), w, false, path, SMALL, "2-D weight" + t);
                // B shared on one batch axis only, A broadcast on the other.
                check(rand(3, 1, 19, 23).expand(3, 2, 19, 23), rand(1, 2, 23, 21).expand(3, 2, 23, 21), true, path, SMALL, "mixed broadcast" + t);
                // Permuted batch axes on A and out.
                Tensor aP = rand(19, 3, 23).permute(1, 0, 2);
                Tensor outP = Tensor.zeros(DType.F32, 19, 3, 21).permute(1, 0, 2);
                checkInto(aP, w.expand(3, 23, 21), outP, false, path, SMALL, "permuted batch" + t);
            }
        }
        // Many small batches run in parallel over the batch axis.
        Parallel.setThreads(2);
        check(rand(16, 30, 40), rand(16, 40, 50), false, Path.AUTO, DEFAULT, "many batches");
    }

    @Test
    void throughTensorMatmul() {
        Tensor a = rand(2, 9, 33);
        Tensor w = weight(17, 33, DType.BF16);
        Tensor out = a.matmul(w.t());
        assertArrayEquals(new int[]{2, 9, 17}, out.shape());
        Tensor ref = Tensor.zeros(DType.F32, 2, 9, 17);
        checkInto(a, w.t().expand(2, 33, 17), ref, false, Path.DIRECT, DEFAULT, "reference for Tensor.matmul");
        assertArrayEquals(ref.toFloatArray(), out.toFloatArray(), 1e-4f);
    }

    @Test
    void emptyAndZeroK() {
        Tensor out = Tensor.full(DType.F32, 3, 4, 5);
        Tensor a0 = rand(4, 1).narrow(1, 0, 0), b0 = rand(1, 5).narrow(0, 0, 0);
        CpuMatmul.matmul(MatmulDims.of(a0, b0), a0, b0, out, true);
        for (float v : out.toFloatArray()) assertEquals(3f, v);
        CpuMatmul.matmul(MatmulDims.of(a0, b0), a0, b0, out, false);
        for (float v : out.toFloatArray()) assertEquals(0f, v);
        Tensor none = Tensor.zeros(DType.F32, 0, 5);
        Tensor rows0 = Tensor.zeros(DType.F32, 0, 3), b35 = rand(3, 5);
        CpuMatmul.matmul(MatmulDims.of(rows0, b35), rows0, b35, none, false);
        assertEquals(0, none.numel());
    }

    @Test
    void badInputIsRejectedWithShapes() {
        var e = assertThrows(IllegalArgumentException.class, () -> MatmulDims.of(rand(4, 3), rand(2, 5)));
        assertTrue(e.getMessage().contains("[4, 3]") && e.getMessage().contains("[2, 5]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MatmulDims.of(rand(4, 3).to(DType.BF16), rand(3, 5)));
        assertThrows(IllegalArgumentException.class, () -> MatmulDims.of(rand(4, 3), rand(3, 5).to(DType.F16)));
        assertThrows(IllegalArgumentException.class, () -> MatmulDims.of(rand(2, 4, 3), rand(3, 3, 5)));
        for (GemmKernel kernel : new GemmKernel[]{GemmKernel.AVX2, GemmKernel.AVX512}) {
            var bad = assertThrows(IllegalArgumentException.class, () -> new Blocking(kernel, 10, 8, 32));
            assertTrue(bad.getMessage().contains(kernel.toString()) && bad.getMessage().contains("mc=10"), bad.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new Blocking(kernel, 12, 8, 30));
        }
    }

    // ---------------------------------------------------------------- helpers

    private Tensor rand(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, shape);
    }

    /** A Linear weight [n, k] in dtype dt; callers pass {@code .t()} as B. */
    private Tensor weight(int n, int k, DType dt) {
        return rand(n, k).to(dt);
    }

    private void check(Tensor a, Tensor b, boolean accumulate, Path path, Blocking bl, String label) {
        int[] shape = a.shape();
        shape[a.rank() - 1] = b.size(-1);
        checkInto(a, b, rand(shape), accumulate, path, bl, label);
    }

    /** Runs the product into out (whose values are the addend when accumulating) and compares with the reference. */
    private static void checkInto(Tensor a, Tensor b, Tensor out, boolean accumulate, Path path, Blocking bl, String label) {
        new Reference(a, b).checkInto(out, accumulate, path, bl, label);
    }

    /** Sums of a x b and of |a * b| in double precision, computed once and checked against several paths. */
    private static final class Reference {
        final Tensor a, b;
        final double[] sum, abs;

        Reference(Tensor a, Tensor b) {
            this.a = a;
            this.b = b;
            float[] av = a.toFloatArray(), bv = b.toFloatArray();
            int m = a.size(-2), k = a.size(-1), n = b.size(-1);
            int batches = (int) (a.numel() / ((long) m * k));
            boolean bBatched = b.rank() > 2;
            sum = new double[batches * m * n];
            abs = new double[sum.length];
            for (int bi = 0; bi < batches; bi++) {
                int ao = bi * m * k, bo = bBatched ? bi * k * n : 0, co = bi * m * n;
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        double x = av[ao + i * k + p];
                        for (int j = 0; j < n; j++) {
                            double t = x * bv[bo + p * n + j];
                            sum[co + i * n + j] += t;
                            abs[co + i * n + j] += Math.abs(t);
                        }
                    }
                }
            }
        }

        void check(Path path, Blocking bl, String label) {
            int[] shape = a.shape();
            shape[a.rank() - 1] = b.size(-1);
            checkInto(Tensor.zeros(DType.F32, shape).fill(Double.NaN), false, path, bl, label);
        }

        void checkInto(Tensor out, boolean accumulate, Path path, Blocking bl, String label) {
            float[] init = out.toFloatArray();
            CpuMatmul.matmul(MatmulDims.of(a, b), a, b, out, accumulate, path, bl);
            float[] got = out.toFloatArray();
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                double base = accumulate ? init[i] : 0;
                double err = Math.abs(got[i] - (base + sum[i])) / (abs[i] + Math.abs(base) + 1e-30);
                if (!(err <= worst)) worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
            }
            assertTrue(worst <= TOL, label + ": relative error " + worst);
        }
    }
}
