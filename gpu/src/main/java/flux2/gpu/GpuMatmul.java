package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.ops.MatmulDims;
import java.util.Arrays;

/**
 * Batched matmul as launches of matmul.cl over strided operands: batch axes collapsed to three (the grid's
 * third dimension walks them), split one axis at a time where they do not collapse. Local-memory tiles of
 * 64 x 64 on GPUs, register blocks on CPU devices ({@link GpuBackend.Variant}).
 */
final class GpuMatmul {
    private GpuMatmul() {}

    static void matmul(GpuLaunch l, MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate) {
        if (out.numel() == 0) return;
        if (dims.k() == 0) {
            if (!accumulate) GpuCopy.fill(l, out, 0);
            return;
        }
        int r = out.rank();
        Tensor bx = b.rank() == r ? b : b.expand(dims.bShape());
        batches(l, dims.batch(), new Tensor[]{a, bx, out}, dims.m(), dims.n(), dims.k(), accumulate);
    }

    private static void batches(GpuLaunch l, int[] batch, Tensor[] t, int m, int n, int k, boolean accumulate) {
        long[][] bs = new long[3][];
        for (int i = 0; i < 3; i++) bs[i] = Arrays.copyOf(t[i].strides(), batch.length);
        Collapsed c = Collapsed.of(batch, bs);
        if (c == null || c.sizes[0] * c.sizes[1] * c.sizes[2] != 1) {
            for (int i = 0; i < batch[0]; i++) {
                Tensor[] sub = {t[0].select(0, i), t[1].select(0, i), t[2].select(0, i)};
                batches(l, Arrays.copyOfRange(batch, 1, batch.length), sub, m, n, k, accumulate);
            }
            return;
        }
        Tensor a = t[0], b = t[1], out = t[2];
        long count = c.numel;
        KernelArgs args = new KernelArgs().i(m).i(n).i(k).i(accumulate ? 1 : 0).i(c.sizes[3]).i(c.sizes[4]).i(c.sizes[5]);
        l.operand(args, "matmul", a).l(c.strides[0][3]).l(c.strides[0][4]).l(c.strides[0][5]).l(a.stride(-2)).l(a.stride(-1));
        l.operand(args, "matmul", b).i(b.dtype() == DType.BF16 ? 1 : 0)
                .l(c.strides[1][3]).l(c.strides[1][4]).l(c.strides[1][5]).l(b.stride(-2)).l(b.stride(-1));
        l.operand(args, "matmul", out).l(c.strides[2][3]).l(c.strides[2][4]).l(c.strides[2][5]).l(out.stride(-2)).l(out.stride(-1));
        if (l.tiled()) {
            l.launch("matmul_tiled", new long[]{GpuLaunch.roundUp(n, 64) / 4, GpuLaunch.roundUp(m, 64) / 4, count}, new long[]{16, 16, 1}, args);
        } else {
            String name = b.dtype() == DType.BF16 ? "matmul_reg_bf16" : "matmul_reg_f32";
            l.launch(name, new long[]{GpuLaunch.roundUp((n + 7) / 8, 8), GpuLaunch.roundUp((m + 3) / 4, 8), count}, new long[]{8, 8, 1}, args);
        }
    }
}
