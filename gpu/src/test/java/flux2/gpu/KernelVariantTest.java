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

    /**
     * The tiled online-softmax kernels of both families at the model shapes: FLUX.2's joint attention (head dims
     * 128 and the golden models' 16, no mask) and Mistral's causal grouped-query attention (head dims 24 and
     * 128, left padding), at lengths that are and are not multiples of the key tiles (16 and 8 rows), and
     * causal cases with fewer and more queries than keys (some rows see no key at all).
     */
    @Test
    void flashAttentionAtModelShapesAndTileRemainders() {
        Assumptions.assumeFalse(DeviceBackends.all().isEmpty(), DeviceBackends::whyNone);
        int[][] cases = { // heads, kv heads, lq, lk, d, causal, padded keys
            {2, 2, 17, 17, 128, 0, 0}, {2, 2, 40, 40, 128, 0, 0}, {2, 2, 3, 3, 128, 0, 0},
            {4, 4, 16, 16, 16, 0, 0}, {4, 4, 33, 33, 16, 0, 0}, {4, 4, 70, 70, 16, 0, 0},
            {4, 2, 5, 5, 24, 1, 2}, {4, 2, 16, 16, 24, 1, 3}, {4, 2, 33, 33, 24, 1, 4}, {8, 2, 37, 37, 128, 1, 0},
            {4, 2, 7, 29, 24, 1, 0}, {4, 2, 20, 9, 24, 1, 0}};
        for (Backend found : DeviceBackends.all()) {
            if (!(found instanceof GpuBackend gb)) continue;
            for (GpuBackend.Variant variant : new GpuBackend.Variant[]{GpuBackend.Variant.TILED, GpuBackend.Variant.REGISTER}) {
                GpuBackend be = new GpuBackend(gb.device(), variant);
                try (TensorArena a = TensorArena.open("flash")) {
                    Rng rng = new Rng(11);
                    for (int[] c : cases) {
                        int h = c[0], hkv = c[1], lq = c[2], lk = c[3], d = c[4], pad = c[6];
                        boolean causal = c[5] == 1;
                        String what = gb.device().name() + " " + variant + " H=" + h + "/" + hkv + " Lq=" + lq + " Lk=" + lk + " D=" + d
                                + (causal ? " causal" : "") + (pad > 0 ? " padded " + pad : "");
                        Tensor q = rng.normal(0, 1, 1, h, lq, d), k = rng.normal(0, 1, 1, hkv, lk, d), v = rng.normal(0, 1, 1, hkv, lk, d);
                        Tensor g = rng.normal(0, 1, 1, h, lq, d);
                        Tensor mask = null;
                        if (pad > 0) {
                            mask = Tensor.zeros(DType.U8, 1, lk).fill(1);
                            for (int j = 0; j < pad; j++) mask.set(0, 0, j);
                        }
                        AttentionSpec spec = AttentionSpec.of(d).withCausal(causal);
                        Tensor out = Tensor.zeros(DType.F32, 1, h, lq, d), lse = Tensor.zeros(DType.F32, 1, h, lq);
                        flux2.tensor.Backends.cpu().attention(AttentionDims.forward(spec, q, k, v, mask), q, k, v, mask, out, lse);
                        Tensor gq = q.to(be), gk = k.to(be), gv = v.to(be), gm = mask == null ? null : mask.to(be), gg = g.to(be);
                        Tensor gOut = Tensor.allocate(be, DType.F32, new int[]{1, h, lq, d}, a), gLse = Tensor.allocate(be, DType.F32, new int[]{1, h, lq}, a);
                        be.attention(AttentionDims.forward(spec, gq, gk, gv, gm), gq, gk, gv, gm, gOut, gLse);
                        BackendParityTest.assertClose(what + " out", out, gOut, 1e-5);
                        BackendParityTest.assertClose(what + " lse", lse, gLse, 1e-5);
                        Tensor dq = Tensor.zeros(DType.F32, 1, h, lq, d), dk = Tensor.zeros(DType.F32, 1, hkv, lk, d), dv = Tensor.zeros(DType.F32, 1, hkv, lk, d);
                        flux2.tensor.Backends.cpu().attentionBackward(AttentionDims.backward(spec, q, k, v, mask, out, lse, g), q, k, v, mask, out, lse, g, dq, dk, dv);
                        Tensor hq = Tensor.allocate(be, DType.F32, new int[]{1, h, lq, d}, a);
                        Tensor hk = Tensor.allocate(be, DType.F32, new int[]{1, hkv, lk, d}, a), hv = Tensor.allocate(be, DType.F32, new int[]{1, hkv, lk, d}, a);
                        be.attentionBackward(AttentionDims.backward(spec, gq, gk, gv, gm, gOut, gLse, gg), gq, gk, gv, gm, gOut, gLse, gg, hq, hk, hv);
                        BackendParityTest.assertClose(what + " dq", dq, hq, 1e-4);
                        BackendParityTest.assertClose(what + " dk", dk, hk, 1e-4);
                        BackendParityTest.assertClose(what + " dv", dv, hv, 1e-4);
                    }
                }
            }
        }
    }
}
