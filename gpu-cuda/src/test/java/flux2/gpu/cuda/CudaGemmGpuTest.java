package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.MatmulDims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The BF16 GEMM kernels on a real CUDA device against the CPU backend (skipped without one). The BF16 mode
 * is compared with a CPU product whose A was rounded to BF16 first, so both sides compute the same products
 * and only the summation order differs; the x2 and scalar modes are compared with the plain CPU product.
 */
class CudaGemmGpuTest {
    private static CudaDevice device;

    @BeforeAll
    static void open() {
        Assumptions.assumeTrue(!CudaBackendProvider.devices().isEmpty(), "no CUDA device: " + new CudaBackendProvider().probe().detail());
        device = new CudaDevice(CudaBackendProvider.driver(), 0);
    }

    @AfterAll
    static void close() {
        if (device != null) device.close();
    }

    /** Runs one product on the device in {@code mode} and checks it against the CPU. */
    private static void check(CudaGemm.Mode mode, Tensor a, Tensor b, boolean accumulate, String what) {
        Backend gpu = new CudaBackend(device, mode);
        try (TensorArena arena = TensorArena.create("gemm-test"); var s = arena.enter()) {
            int[] outShape = a.shape();
            outShape[outShape.length - 1] = b.size(-1);
            if (b.rank() > a.rank()) outShape = resultShape(a, b);
            Tensor init = new Rng(7).normal(0, 1, outShape);
            Tensor aRef = mode == CudaGemm.Mode.BF16 ? a.to(DType.BF16).to(DType.F32) : a;
            Tensor expect = aRef.matmul(b);
            if (accumulate) expect = expect.add(init);

            // a transposed weight stays a transposed view on the device (Tensor.to makes contiguous copies)
            boolean transposed = b.stride(-2) == 1 && b.size(-1) > 1 && b.stride(-1) != 1;
            Tensor ga = a.to(gpu), gb = transposed ? b.transpose(-2, -1).to(gpu).transpose(-2, -1) : b.to(gpu);
            Tensor gout = init.to(gpu);
            assertTrue(CudaGemm.plan(ga, gb, gout) != null, what + ": the plan must use the GEMM kernels");
            gpu.matmul(MatmulDims.of(ga, gb), ga, gb, gout, accumulate);
            GemmBounds.assertWithin(mode, a, b, gout.to(Backends.cpu()), expect, what);
        }
    }

    private static int[] resultShape(Tensor a, Tensor b) {
        int[] s = b.shape();
        s[s.length - 2] = a.size(-2);
        return s;
    }

    private static void allModes(Tensor a, Tensor b, boolean acc, String what) {
        for (CudaGemm.Mode m : new CudaGemm.Mode[] {CudaGemm.Mode.BF16, CudaGemm.Mode.BF16X2, CudaGemm.Mode.SCALAR})
            check(m, a, b, acc, what);
    }

    @Test
    void linearWithOddSizes() {
        Rng r = new Rng(1);
        Tensor x = r.normal(0, 1, 3, 67, 72);
        Tensor w = r.normal(0, 1, 200, 72).to(DType.BF16);
        allModes(x, w.t(), false, "x[3,67,72] w[200,72]^T");
    }

    @Test
    void wholeTilesTakeTheVectorPath() {
        Rng r = new Rng(2);
        allModes(r.normal(0, 1, 256, 256), r.normal(0, 1, 384, 256).to(DType.BF16).t(), true, "256x256x384 accumulate");
    }

    @Test
    void unalignedKAndRowMajorWeight() {
        Rng r = new Rng(3);
        allModes(r.normal(0, 1, 130, 75), r.normal(0, 1, 75, 140).to(DType.BF16), false, "130x75 x 75x140 (k-tail, n-major B)");
        allModes(r.normal(0, 1, 129, 96), r.normal(0, 1, 96, 136).to(DType.BF16), false, "129x96 x 96x136 (n-major B, vector loads)");
    }

    @Test
    void batchedWithBroadcastWeight() {
        Rng r = new Rng(4);
        Tensor a = r.normal(0, 1, 4, 100, 64);
        Tensor b = r.normal(0, 1, 1, 64, 96).to(DType.BF16).expand(4, 64, 96);
        allModes(a, b, false, "batch 4 with broadcast B");
    }

    @Test
    void tensorCoresAtScaleReportThroughput() {
        Assumptions.assumeTrue(device.hasBf16TensorCores(), "no BF16 tensor cores below sm_80");
        int n = 4096;
        Backend gpu = new CudaBackend(device, CudaGemm.Mode.BF16);
        try (TensorArena arena = TensorArena.create("gemm-speed"); var s = arena.enter()) {
            Tensor a = Tensor.allocate(gpu, DType.F32, new int[] {n, n}, arena);
            Tensor b = Tensor.allocate(gpu, DType.BF16, new int[] {n, n}, arena);
            Tensor c = Tensor.allocate(gpu, DType.F32, new int[] {n, n}, arena);
            MatmulDims dims = MatmulDims.of(a, b.t());
            gpu.matmul(dims, a, b.t(), c, false);
            float ms = device.timeMillis(() -> { for (int i = 0; i < 5; i++) gpu.matmul(dims, a, b.t(), c, false); });
            System.out.printf("gemm_bf16_mma %d^3: %.1f TFLOP/s%n", n, 5 * 2.0 * n * n * n / (ms * 1e-3) / 1e12);
        }
    }
}
