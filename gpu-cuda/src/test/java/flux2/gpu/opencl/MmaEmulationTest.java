package flux2.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.gpu.KernelSources;
import flux2.gpu.cuda.CudaGemm;
import flux2.gpu.cuda.GemmBounds;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tensor-core GEMM source run on an OpenCL CPU device with mma.sync emulated through local memory
 * (-D EMULATE_MMA): the tiling, staging, BF16 rounding, fragment addressing, edge handling and epilogue of
 * gemm_bf16_mma and gemm_bf16x2_mma checked against the CPU backend, with the launch arguments that the CUDA
 * backend passes. Skipped without an OpenCL platform.
 */
class MmaEmulationTest {
    private static OpenClDevice device;

    @BeforeAll
    static void open() {
        List<OpenClPlatforms.DeviceInfo> devs;
        try {
            devs = OpenClPlatforms.devices();
        } catch (RuntimeException | LinkageError e) {
            devs = List.of();
        }
        Assumptions.assumeFalse(devs.isEmpty(), "no OpenCL device");
        String src = KernelSources.read("cuda/gemm_bf16.cl");
        device = new OpenClDevice(0, devs.getFirst(), "#define EMULATE_MMA\n" + src);
    }

    @AfterAll
    static void close() {
        if (device != null) device.close();
    }

    /** Runs kernel {@code mode} on the device over host tensors' storage and compares with {@code expect}. */
    private static void check(CudaGemm.Mode mode, Tensor a, Tensor b, Tensor out, boolean accumulate, Tensor expect, String what) {
        CudaGemm g = CudaGemm.plan(a, b, out);
        assertTrue(g != null, what + ": planned onto the GEMM kernels");
        long ba = upload(a), bb = upload(b), bc = upload(out);
        try {
            long[][] grid = g.grid(mode);
            device.launch(device.kernel(mode.kernel()), grid[0], grid[1], g.args(ba, bb, bc, accumulate));
            MemorySegment seg = out.segment();
            device.download(bc, 0, seg, 0, seg.byteSize());
        } finally {
            device.free(ba);
            device.free(bb);
            device.free(bc);
        }
        GemmBounds.assertWithin(mode, a, b, out, expect, "emulated " + what);
    }

    private static long upload(Tensor t) {
        MemorySegment seg = t.segment();
        long buf = device.allocate(seg.byteSize());
        device.upload(seg, 0, buf, 0, seg.byteSize());
        return buf;
    }

    private static void both(Tensor a, Tensor b, boolean accumulate, String what) {
        Tensor init = new Rng(9).normal(0, 1, resultShape(a, b));
        Tensor exact = a.matmul(b), rounded = a.to(DType.BF16).to(DType.F32).matmul(b);
        if (accumulate) {
            exact = exact.add(init);
            rounded = rounded.add(init);
        }
        check(CudaGemm.Mode.BF16, a, b, Tensor.zeros(DType.F32, init.shape()).copyFrom(init), accumulate, rounded, what);
        check(CudaGemm.Mode.BF16X2, a, b, Tensor.zeros(DType.F32, init.shape()).copyFrom(init), accumulate, exact, what);
    }

    private static int[] resultShape(Tensor a, Tensor b) {
        int[] s = (b.rank() > a.rank() ? b : a).shape();
        s[s.length - 2] = a.size(-2);
        s[s.length - 1] = b.size(-1);
        return s;
    }

    @Test
    void linearLayerWithEdgesInEveryDimension() {
        try (TensorArena arena = TensorArena.create("emu"); var s = arena.enter()) {
            Rng r = new Rng(1);
            both(r.normal(0, 1, 2, 70, 72), r.normal(0, 1, 136, 72).to(DType.BF16).t(), false, "x[2,70,72] w[136,72]^T");
        }
    }

    @Test
    void wholeTilesWithVectorLoadsAndAccumulate() {
        try (TensorArena arena = TensorArena.create("emu"); var s = arena.enter()) {
            Rng r = new Rng(2);
            both(r.normal(0, 1, 128, 64), r.normal(0, 1, 128, 64).to(DType.BF16).t(), true, "128x64 x 64x128 accumulate");
        }
    }

    @Test
    void rowMajorWeightAndUnalignedK() {
        try (TensorArena arena = TensorArena.create("emu"); var s = arena.enter()) {
            Rng r = new Rng(3);
            both(r.normal(0, 1, 128, 64), r.normal(0, 1, 64, 128).to(DType.BF16), false, "n-major B, whole tile");
            both(r.normal(0, 1, 40, 45), r.normal(0, 1, 45, 150).to(DType.BF16), false, "n-major B, k = 45");
        }
    }

    @Test
    void batchedWithBroadcastWeight() {
        try (TensorArena arena = TensorArena.create("emu"); var s = arena.enter()) {
            Rng r = new Rng(4);
            Tensor b = r.normal(0, 1, 1, 64, 96).to(DType.BF16).expand(3, 64, 96);
            both(r.normal(0, 1, 3, 80, 64), b, false, "batch 3, broadcast B");
        }
    }
}
