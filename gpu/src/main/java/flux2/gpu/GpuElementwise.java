package flux2.gpu;

import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.UnaryOp;

/** Unary and binary elementwise ops as launches of elementwise.cl: a flat kernel for dense F32, else strided. */
final class GpuElementwise {
    private GpuElementwise() {}

    static void unary(GpuLaunch l, UnaryOp op, Tensor x, double p0, double p1, Tensor out) {
        if (out.numel() == 0) return;
        if (x.dtype() == DType.F32 && out.dtype() == DType.F32 && x.isContiguous() && out.isContiguous()) {
            KernelArgs a = new KernelArgs().i(op.ordinal()).f((float) p0).f((float) p1).l(out.numel());
            l.operand(a, "unary", x);
            l.operand(a, "unary", out);
            l.launch1("unary_f32", out.numel(), a);
            return;
        }
        GpuLaunch.forCollapsed(out.shape(), new Tensor[]{x, out}, (c, v) -> {
            KernelArgs a = new KernelArgs().i(op.ordinal()).f((float) p0).f((float) p1).l(c.numel);
            c.shape(a);
            l.operand(a, "unary", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            l.operand(a, "unary", v[1]).i(v[1].dtype().ordinal());
            c.strides(a, 1);
            l.launch1("unary_strided", c.numel, a);
        });
    }

    static void binary(GpuLaunch l, BinaryOp op, Tensor x, Tensor y, Tensor out) {
        if (out.numel() == 0) return;
        if (x.dtype() == DType.F32 && y.dtype() == DType.F32 && out.dtype() == DType.F32
                && x.isContiguous() && y.isContiguous() && out.isContiguous()) {
            KernelArgs a = new KernelArgs().i(op.ordinal()).l(out.numel());
            l.operand(a, "binary", x);
            l.operand(a, "binary", y);
            l.operand(a, "binary", out);
            l.launch1("binary_f32", out.numel(), a);
            return;
        }
        GpuLaunch.forCollapsed(out.shape(), new Tensor[]{x, y, out}, (c, v) -> {
            KernelArgs a = new KernelArgs().i(op.ordinal()).l(c.numel);
            c.shape(a);
            for (int i = 0; i < 3; i++) {
                l.operand(a, "binary", v[i]).i(v[i].dtype().ordinal());
                c.strides(a, i);
            }
            l.launch1("binary_strided", c.numel, a);
        });
    }
}
