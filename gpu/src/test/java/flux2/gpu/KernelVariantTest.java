package flux2.gpu;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.MatmulDims;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Both kernel families (tiled for GPUs, register-blocked or per-work-item for CPU devices) on every device
 * found, whatever its kind: matmul and attention forward and backward.
 */
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
                    Tensor xColumnMajor = x.to(be).transpose(1, 2).contiguous().transpose(1, 2);
                    BackendParityTest.assertClose(what + " column-major a", x.matmul(y), xColumnMajor.matmul(y.to(be)), 1e-5);
                    Tensor acc = rng.normal(0, 1, 2, 67, 131), dacc = acc.to(be);
                    flux2.tensor.Backends.cpu().matmul(MatmulDims.of(x, y), x, y, acc, true);
                    Tensor dx = x.to(be), dy = y.to(be);
                    be.matmul(MatmulDims.of(dx, dy), dx, dy, dacc, true);
                    BackendParityTest.assertClose(what + " accumulate", acc, dacc, 1e-5);
                    for (int d : new int[]{16, 12}) {
                        Tensor q = rng.normal(0, 1, 2, 4, 21, d), kv = rng.normal(0, 1, 2, 2, 19, d);
                        Tensor mask = Tensor.zeros(DType.U8, 2, 19).fill(1);
                        mask.set(0, 0, 3);
                        for (boolean causal : new boolean[]{false, true}) {
                            AttentionSpec spec = AttentionSpec.of(d).withCausal(causal);
                            Tensor out = Tensor.zeros(DType.F32, 2, 4, 21, d), lse = Tensor.zeros(DType.F32, 2, 4, 21);
                            flux2.tensor.Backends.cpu().attention(AttentionDims.forward(spec, q, kv, kv, mask), q, kv, kv, mask, out, lse);
                            Tensor gOut = Tensor.allocate(be, DType.F32, new int[]{2, 4, 21, d}, a);
                            Tensor gLse = Tensor.allocate(be, DType.F32, new int[]{2, 4, 21}, a);
                            Tensor gkv = kv.to(be);
                            Tensor gq = q.to(be), gmask = mask.to(be);
                            be.attention(AttentionDims.forward(spec, gq, gkv, gkv, gmask), gq, gkv, gkv, gmask, gOut, gLse);
                            BackendParityTest.assertClose(what + " attention d=" + d + " causal=" + causal, out, gOut, 1e-5);
                            BackendParityTest.assertClose(what + " attention lse d=" + d + " causal=" + causal, lse, gLse, 1e-5);
                            Tensor g = rng.normal(0, 1, 2, 4, 21, d);
                            Tensor dq = Tensor.zeros(DType.F32, 2, 4, 21, d), dk = Tensor.zeros(DType.F32, 2, 2, 19, d), dv = Tensor.zeros(DType.F32, 2, 2, 19, d);
                            flux2.tensor.Backends.cpu().attentionBackward(AttentionDims.backward(spec, q, kv, kv, mask, out, lse, g), q, kv, kv, mask, out, lse, g, dq, dk, dv);
                            Tensor gdq = Tensor.allocate(be, DType.F32, new int[]{2, 4, 21, d}, a);
                            Tensor gdk = Tensor.allocate(be, DType.F32, new int[]{2, 2, 19, d}, a), gdv = Tensor.allocate(be, DType.F32, new int[]{2, 2, 19, d}, a);
                            Tensor gg = g.to(be);
                            be.attentionBackward(AttentionDims.backward(spec, gq, gkv, gkv, gmask, gOut, gLse, gg), gq, gkv, gkv, gmask, gOut, gLse, gg, gdq, gdk, gdv);
                            BackendParityTest.assertClose(what + " attention dq d=" + d + " causal=" + causal, dq, gdq, 1e-4);
                            BackendParityTest.assertClose(what + " attention dk d=" + d + " causal=" + causal, dk, gdk, 1e-4);
                            BackendParityTest.assertClose(what + " attention dv d=" + d + " causal=" + causal, dv, gdv, 1e-4);
                        }
                    }
                }
            }
        }
    }
}
