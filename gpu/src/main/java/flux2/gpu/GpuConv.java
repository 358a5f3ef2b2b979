package flux2.gpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.ConvGeometry;

/**
 * conv2d and its two gradients as launches of conv.cl on dense operands: one work-item per output (or input)
 * element, and for the weight gradient one work-group per weight summing over images and output pixels.
 */
final class GpuConv {
    private GpuConv() {}

    /** The geometry as the kernels take it: n, cin, h, w, cout, kh, kw, ho, wo, sh, sw, padTop, padLeft. */
    private static KernelArgs geometry(ConvGeometry g) {
        return new KernelArgs().i(g.n()).i(g.cin()).i(g.h()).i(g.w()).i(g.cout()).i(g.kh()).i(g.kw())
                .i(g.ho()).i(g.wo()).i(g.sh()).i(g.sw()).i(g.padTop()).i(g.padLeft());
    }

    static void conv2d(GpuLaunch l, ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor out) {
        if (out.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.denseF32(s, x), wd = l.dense(s, w), od = l.outF32(s, out);
            KernelArgs a = geometry(g);
            l.operand(a, "conv2d", xd);
            l.operand(a, "conv2d", wd).i(wd.dtype().ordinal());
            if (bias == null) a.tensor(0, 0).i(0).i(0);
            else {
                Tensor bd = l.dense(s, bias);
                l.operand(a, "conv2d", bd).i(bd.dtype().ordinal()).i(1);
            }
            l.operand(a, "conv2d", od);
            l.launch1("conv2d_fwd", out.numel(), a);
            l.finishOut(od, out);
        }
    }

    static void backwardInput(GpuLaunch l, ConvGeometry g, Tensor dOut, Tensor w, Tensor dx) {
        if (dx.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor gd = l.denseF32(s, dOut), wd = l.dense(s, w), xd = l.outF32(s, dx);
            KernelArgs a = geometry(g);
            l.operand(a, "conv2dBackwardInput", gd);
            l.operand(a, "conv2dBackwardInput", wd).i(wd.dtype().ordinal());
            l.operand(a, "conv2dBackwardInput", xd);
            l.launch1("conv2d_bwd_input", dx.numel(), a);
            l.finishOut(xd, dx);
        }
    }

    static void backwardWeight(GpuLaunch l, ConvGeometry g, Tensor x, Tensor dOut, Tensor dw) {
        if (dw.numel() == 0) return;
        try (GpuScratch s = l.scratch()) {
            Tensor xd = l.denseF32(s, x), gd = l.denseF32(s, dOut), wd = l.outF32(s, dw);
            KernelArgs a = geometry(g);
            l.operand(a, "conv2dBackwardWeight", xd);
            l.operand(a, "conv2dBackwardWeight", gd);
            l.operand(a, "conv2dBackwardWeight", wd);
            l.launchRows("conv2d_bwd_weight", dw.numel(), a);
            l.finishOut(wd, dw);
        }
    }
}
