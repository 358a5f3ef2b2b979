package flux2.gpu;

import flux2.tensor.Tensor;

/** Strided copies with dtype conversion, and fills, as launches of copy.cl (device copies where both are dense). */
final class GpuCopy {
    private GpuCopy() {}

    static void copy(GpuLaunch l, Tensor src, Tensor dst) {
        if (dst.numel() == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            long bytes = src.dtype().bytesFor(src.numel());
            l.dev.copy(l.be.buffer("copy", src), src.byteOffset(), l.be.buffer("copy", dst), dst.byteOffset(), bytes);
            return;
        }
        GpuLaunch.forCollapsed(dst.shape(), new Tensor[]{src, dst}, (c, v) -> {
            KernelArgs a = new KernelArgs().l(c.numel);
            c.shape(a);
            l.operand(a, "copy", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            l.operand(a, "copy", v[1]).i(v[1].dtype().ordinal());
            c.strides(a, 1);
            l.launch1("copy_strided", c.numel, a);
        });
    }

    static void fill(GpuLaunch l, Tensor dst, double value) {
        if (dst.numel() == 0) return;
        GpuLaunch.forCollapsed(dst.shape(), new Tensor[]{dst}, (c, v) -> {
            KernelArgs a = new KernelArgs().l(c.numel);
            c.shape(a);
            l.operand(a, "fill", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            a.f((float) value).l((long) value);
            l.launch1("fill_strided", c.numel, a);
        });
    }
}
