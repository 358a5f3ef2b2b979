package flux2.gpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.RowNormDims;

/** LayerNorm, RMSNorm and GroupNorm as launches of norms.cl, one work-group per row of dense input. */
final class GpuNorms {
    private GpuNorms() {}

    static void layerNorm(GpuLaunch l, RowNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        rows(l, "layer_norm_rows", dims, x, w, b, true, out);
    }

    static void rmsNorm(GpuLaunch l, RowNormDims dims, Tensor x, Tensor w, Tensor out) {
        rows(l, "rms_norm_rows", dims, x, w, null, false, out);
    }

    private static void rows(GpuLaunch l, String kernel, RowNormDims dims, Tensor x, Tensor w, Tensor b, boolean withBias, Tensor out) {
        if (x.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), od = l.outDense(s, out);
            KernelArgs a = new KernelArgs().i(dims.width()).f((float) dims.eps());
            l.operand(a, kernel, xd).i(xd.dtype().ordinal());
            vector(l, s, a, w);
            if (withBias) vector(l, s, a, b);
            l.operand(a, kernel, od).i(od.dtype().ordinal());
            l.launchRows(kernel, dims.rows(), a);
            l.finishOut(od, out);
        }
    }

    static void groupNorm(GpuLaunch l, GroupNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        if (x.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), od = l.outDense(s, out);
            KernelArgs a = new KernelArgs().l(dims.rows()).i(dims.groups()).i(dims.perGroup()).l(dims.plane()).f((float) dims.eps());
            l.operand(a, "groupNorm", xd).i(xd.dtype().ordinal());
            vector(l, s, a, w);
            vector(l, s, a, b);
            l.operand(a, "groupNorm", od).i(od.dtype().ordinal());
            l.launchRows("group_norm", dims.rows(), a);
            l.finishOut(od, out);
        }
    }

    /** Appends an optional dense vector operand (buffer, offset, dtype, present flag). */
    private static void vector(GpuLaunch l, GpuScratch s, KernelArgs a, Tensor v) {
        if (v == null) {
            a.tensor(0, 0).i(0).i(0);
            return;
        }
        Tensor d = l.dense(s, v);
        l.operand(a, "vector", d).i(d.dtype().ordinal()).i(1);
    }
}
