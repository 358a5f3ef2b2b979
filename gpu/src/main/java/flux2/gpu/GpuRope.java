package flux2.gpu;

import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.ops.RopeTable;
import java.util.Arrays;

/**
 * Rotary embeddings as launches of rope.cl over dense rows of x; the cos and sin tables are read through their
 * (broadcast) strides, collapsed to six leading axes, or made dense when they do not collapse.
 */
final class GpuRope {
    private GpuRope() {}

    static void rope(GpuLaunch l, RopeTable table, Tensor x, Tensor out) {
        if (x.numel() == 0) return;
        int r = x.rank(), half = table.half();
        long rows = GpuLaunch.rowsOf(x);
        Tensor c = table.cos(), sn = table.sin();
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), od = l.outDense(s, out);
            int[] lead = Arrays.copyOf(c.shape(), r - 1);
            Collapsed cl = Collapsed.of(lead, Arrays.copyOf(c.strides(), r - 1), Arrays.copyOf(sn.strides(), r - 1));
            if (cl == null) {
                c = l.dense(s, c);
                sn = l.dense(s, sn);
                cl = Collapsed.of(new int[]{(int) rows}, new long[]{half}, new long[]{half});
            }
            KernelArgs a = new KernelArgs().i(table.layout() == RopeLayout.INTERLEAVED ? 1 : 0).l(rows).i(half);
            cl.shape(a);
            l.operand(a, "rope", xd).i(xd.dtype().ordinal());
            l.operand(a, "rope", c).i(c.dtype().ordinal());
            cl.strides(a, 0).l(c.stride(-1));
            l.operand(a, "rope", sn).i(sn.dtype().ordinal());
            cl.strides(a, 1).l(sn.stride(-1));
            l.operand(a, "rope", od).i(od.dtype().ordinal());
            l.launch1("rope_rows", rows * half, a);
            l.finishOut(od, out);
        }
    }
}
