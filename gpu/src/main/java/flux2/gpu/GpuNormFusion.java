package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.ops.ModulationDims;
import flux2.tensor.ops.NormBackwardDims;

/**
 * The modulated LayerNorm of FLUX.2 and the backward of every row norm as launches of norms.cl: one
 * work-group per row, plus one column pass for the per-channel gradients when they are wanted.
 */
final class GpuNormFusion {
    private GpuNormFusion() {}

    static void modulatedLayerNorm(GpuLaunch l, ModulationDims dims, Tensor x, Tensor shift, Tensor scale, Tensor out) {
        if (x.numel() == 0) return;
        String k = "modulated_layer_norm_rows";
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), sd = l.dense(s, shift), cd = l.dense(s, scale), od = l.outDense(s, out);
            KernelArgs a = new KernelArgs().i(dims.width()).f((float) dims.eps()).l(dims.groupRows());
            l.operand(a, k, xd).i(xd.dtype().ordinal());
            l.operand(a, k, sd).i(sd.dtype().ordinal());
            l.operand(a, k, cd).i(cd.dtype().ordinal());
            l.operand(a, k, od).i(od.dtype().ordinal());
            l.launchRows(k, dims.rows(), a);
            l.finishOut(od, out);
        }
    }

    static void backward(GpuLaunch l, NormBackwardDims dims, Tensor x, Tensor w, Tensor g, Tensor dx, Tensor dw, Tensor db) {
        if (x.numel() == 0) return;
        boolean params = dw != null || db != null;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.dense(s, x), gd = l.dense(s, g);
            Tensor dxd = dx == null ? null : l.outF32(s, dx);
            Tensor stats = params ? s.tensor(DType.F32, Math.toIntExact(2 * dims.rows())) : null;
            String rows = "norm_bwd_rows";
            KernelArgs a = new KernelArgs().i(dims.width()).f((float) dims.eps()).i(dims.centered() ? 1 : 0)
                    .l(dims.groupRows()).i(dims.onePlusWeight() ? 1 : 0);
            l.operand(a, rows, xd).i(xd.dtype().ordinal());
            if (w == null) a.tensor(0, 0).i(0).i(0);
            else {
                Tensor wd = l.dense(s, w);
                l.operand(a, rows, wd).i(wd.dtype().ordinal()).i(1);
            }
            l.operand(a, rows, gd).i(gd.dtype().ordinal());
            optional(l, a, rows, dxd);
            optional(l, a, rows, stats);
            l.launchRows(rows, dims.rows(), a);
            if (dxd != null) l.finishOut(dxd, dx);
            if (!params) return;
            String cols = "norm_bwd_params";
            Tensor dwd = dw == null ? null : l.outF32(s, dw), dbd = db == null ? null : l.outF32(s, db);
            KernelArgs p = new KernelArgs().i(dims.width()).l(dims.groupRows()).l(dims.groups());
            l.operand(p, cols, xd).i(xd.dtype().ordinal());
            l.operand(p, cols, gd).i(gd.dtype().ordinal());
            l.operand(p, cols, stats);
            optional(l, p, cols, dwd);
            optional(l, p, cols, dbd);
            l.launch1(cols, dims.groups() * dims.width(), p);
            if (dwd != null) l.finishOut(dwd, dw);
            if (dbd != null) l.finishOut(dbd, db);
        }
    }

    /** Appends an optional dense F32 operand: buffer, offset and a present flag. */
    private static void optional(GpuLaunch l, KernelArgs a, String kernel, Tensor t) {
        if (t == null) a.tensor(0, 0).i(0);
        else l.operand(a, kernel, t).i(1);
    }
}
