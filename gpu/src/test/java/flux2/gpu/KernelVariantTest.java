package flux2.gpu;

import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Both matmul variants (tiled for GPUs, register-blocked for CPU devices) on every device found, whatever its kind. */
class KernelVariantTest {
    @Test
    void bothMatmulVariantsMatchCpu() {
        Assumptions.assumeFalse(DeviceBackends.all().isEmpty(), DeviceBackends::whyNone);
        for (Backend found : DeviceBackends.all()) {
            if (!(found instanceof GpuBackend gb)) continue;
            for (GpuBackend.Variant v : new GpuBackend.Variant[]{GpuBackend.Variant.TILED, GpuBackend.Variant.REGISTER}) {
                GpuBackend be = new GpuBackend(gb.device(), v);
                try (TensorArena a = TensorArena.open("variant")) {
                    Rng rng = new Rng(3);
                    Tensor x = rng.normal(0, 1, 2, 67, 29), y = rng.normal(0, 1, 2, 29, 131), w = rng.normal(0, 1, 131, 29).to(DType.BF16);
                    String what = gb.device().name() + " " + v;
                    BackendParityTest.assertClose(what + " batched", x.matmul(y), x.to(be).matmul(y.to(be)), 1e-5);
                    BackendParityTest.assertClose(what + " bf16 transposed weight", x.matmul(w.t()), x.to(be).matmul(w.to(be).t()), 1e-5);
                    Tensor acc = rng.normal(0, 1, 2, 67, 131), dacc = acc.to(be);
                    flux2.tensor.Backends.cpu().matmul(x, y, acc, true);
                    be.matmul(x.to(be), y.to(be), dacc, true);
                    BackendParityTest.assertClose(what + " accumulate", acc, dacc, 1e-5);
                }
            }
        }
    }
}
