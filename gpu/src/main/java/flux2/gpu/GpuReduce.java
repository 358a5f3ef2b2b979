package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.ReduceOp;
import flux2.tensor.Tensor;
import flux2.tensor.ops.Reduction;

/**
 * SUM, MEAN and MAX over any axes, ARGMAX over one, and softmax over the last axis, as launches of reduce.cl:
 * x is permuted so that the reduced axes come last, made dense F32, and reduced one work-group per output.
 */
final class GpuReduce {
    private GpuReduce() {}

    static void reduce(GpuLaunch l, Reduction r, Tensor x, Tensor out) {
        ReduceOp op = r.op();
        if (r.kept() == 0) return;
        if (r.reduced() == 0) {
            // SUM or MEAN: a Reduction of MAX or ARGMAX over nothing is refused when it is made
            GpuCopy.fill(l, out, op == ReduceOp.SUM ? 0 : Double.NaN);
            return;
        }
        int rank = x.rank();
        int[] perm = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++) if (!r.isReduced(i)) perm[j++] = i;
        for (int a : r.axes()) perm[j++] = a;
        try (GpuScratch s = l.scratch()) {
            Tensor rows = l.denseF32(s, x.permute(perm));
            Tensor res = s.tensor(op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, (int) r.kept());
            KernelArgs a = new KernelArgs();
            if (op != ReduceOp.ARGMAX) a.i(op.ordinal());
            a.l(r.kept()).i(Math.toIntExact(r.reduced()));
            l.operand(a, "reduce", rows);
            l.operand(a, "reduce", res);
            l.launchRows(op == ReduceOp.ARGMAX ? "argmax_rows" : "reduce_rows", r.kept(), a);
            GpuCopy.copy(l, res.reshape(out.permute(perm).shape()), out.permute(perm));
        }
    }

    static void softmax(GpuLaunch l, Tensor x, Tensor out) {
        if (x.numel() == 0) return;
        int n = x.rank() == 0 ? 1 : x.size(-1);
        long rows = GpuLaunch.rowsOf(x);
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x);
            Tensor od = l.outF32(s, out);
            KernelArgs a = new KernelArgs().l(rows).i(n);
            l.operand(a, "softmax", xd).i(xd.dtype().ordinal());
            l.operand(a, "softmax", od);
            l.launchRows("softmax_rows", rows, a);
            l.finishOut(od, out);
        }
    }
}
