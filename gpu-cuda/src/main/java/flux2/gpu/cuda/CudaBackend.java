package flux2.gpu.cuda;

import flux2.gpu.GpuBackend;
import flux2.tensor.Tensor;
import flux2.tensor.ops.MatmulDims;

/**
 * The GPU backend on a CUDA device: the shared kernels for every operation, except a matmul with a BF16
 * right operand, which runs on the tensor cores (sm_80 and newer) when its layout fits {@link CudaGemm}.
 */
public final class CudaBackend extends GpuBackend {
    private final CudaDevice cuda;
    private final CudaGemm.Mode mode;

    public CudaBackend(CudaDevice device) {
        this(device, CudaGemm.Mode.fromProperty());
    }

    CudaBackend(CudaDevice device, CudaGemm.Mode mode) {
        super(device);
        this.cuda = device;
        // gemm_bf16.ptx targets sm_80, so older devices keep the shared matmul kernels
        this.mode = device.hasBf16TensorCores() ? mode : CudaGemm.Mode.OFF;
    }

    @Override
    public synchronized void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate) {
        if (mode != CudaGemm.Mode.OFF && a.backend() == this && b.backend() == this && out.backend() == this) {
            CudaGemm g = CudaGemm.plan(a, b, out);
            if (g != null) {
                long[][] grid = g.grid(mode);
                cuda.launch(cuda.kernel(mode.kernel), grid[0], grid[1],
                        g.args(a.segment().address(), b.segment().address(), out.segment().address(), accumulate));
                return;
            }
        }
        super.matmul(dims, a, b, out, accumulate);
    }
}
