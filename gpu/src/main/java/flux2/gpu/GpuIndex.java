package flux2.gpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.IndexAxis;

/**
 * Gather (index_select) and scatter-add (index_add_) along one axis as launches of index.cl on dense operands
 * seen as [outer, size, inner]; the index stays on the device (its values were checked by the {@link IndexAxis}).
 */
final class GpuIndex {
    private GpuIndex() {}

    static void indexSelect(GpuLaunch l, IndexAxis ix, Tensor x, Tensor index, Tensor out) {
        if (out.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), id = l.dense(s, index), od = l.outDense(s, out);
            KernelArgs a = new KernelArgs().l(ix.outer()).i(ix.size()).i(ix.count()).l(ix.inner());
            l.operand(a, "indexSelect", xd).i(xd.dtype().ordinal());
            l.operand(a, "indexSelect", id).i(id.dtype().ordinal());
            l.operand(a, "indexSelect", od).i(od.dtype().ordinal());
            l.launch1("index_select", out.numel(), a);
            l.finishOut(od, out);
        }
    }

    static void indexAdd(GpuLaunch l, IndexAxis ix, Tensor dst, Tensor index, Tensor src) {
        if (src.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor dd = l.dense(s, dst), id = l.dense(s, index), sd = l.dense(s, src);
            KernelArgs a = new KernelArgs().l(ix.outer()).i(ix.size()).i(ix.count()).l(ix.inner());
            l.operand(a, "indexAdd", dd).i(dd.dtype().ordinal());
            l.operand(a, "indexAdd", id).i(id.dtype().ordinal());
            l.operand(a, "indexAdd", sd).i(sd.dtype().ordinal());
            l.launch1("index_add", ix.outer() * ix.inner(), a);
            l.finishOut(dd, dst);
        }
    }
}
