package flux2.gpu;

import flux2.tensor.AttentionSpec;
import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.ReduceOp;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import java.util.Arrays;

/** The operations of {@link GpuBackend} as kernel launches; temporaries live in a per-call scratch arena. */
final class GpuOps {
    private final GpuBackend be;
    private final GpuDevice dev;

    GpuOps(GpuBackend be) {
        this.be = be;
        this.dev = be.device();
    }

    // ---------------------------------------------------------------- launch helpers

    long k(String name) { return dev.kernel(name); }

    /** 1-D launch over n work-items with the driver's choice of local size. */
    void launch1(String kernel, long n, KernelArgs args) {
        if (n == 0) return;
        dev.launch(k(kernel), new long[]{n}, null, args);
    }

    /** Launch of groups x local work-items in dimension 0 (one group per row, say), groups2 in dimension 1. */
    void launchGroups(String kernel, long groups, int local, long groups2, KernelArgs args) {
        if (groups == 0 || groups2 == 0) return;
        if (groups2 == 1) dev.launch(k(kernel), new long[]{groups * local}, new long[]{local}, args);
        else dev.launch(k(kernel), new long[]{groups * local, groups2}, new long[]{local, 1}, args);
    }

    static long roundUp(long n, long m) { return (n + m - 1) / m * m; }

    long buf(String op, Tensor t) { return be.buffer(op, t); }

    KernelArgs operand(KernelArgs a, String op, Tensor t) { return a.tensor(buf(op, t), t.offset()); }

    /** A zero-filled contiguous device tensor in scratch. */
    Tensor temp(TensorArena scratch, DType dt, int... shape) { return Tensor.allocate(be, dt, shape, scratch); }

    /** t itself if contiguous, else a contiguous copy in scratch. */
    Tensor dense(TensorArena scratch, Tensor t) {
        if (t.isContiguous()) return t;
        Tensor c = temp(scratch, t.dtype(), t.shape());
        copy(t, c);
        return c;
    }

    /** t as contiguous F32 (itself when it already is). */
    Tensor denseF32(TensorArena scratch, Tensor t) {
        if (t.dtype() == DType.F32 && t.isContiguous()) return t;
        Tensor c = temp(scratch, DType.F32, t.shape());
        copy(t, c);
        return c;
    }

    static TensorArena scratch() { return TensorArena.create("gpu-scratch"); }

    static void sameShape(String op, Tensor out, Tensor... in) {
        for (Tensor t : in)
            if (!Arrays.equals(t.shape(), out.shape()))
                throw new IllegalArgumentException(op + ": operand " + Arrays.toString(t.shape()) + " does not match output " + Arrays.toString(out.shape()));
    }

    /** Runs body on views of the operands small enough to collapse to six axes, splitting axis 0 otherwise. */
    interface Strided { void run(Collapsed c, Tensor[] views); }

    static void forCollapsed(int[] shape, Tensor[] ts, Strided body) {
        long[][] strides = new long[ts.length][];
        for (int i = 0; i < ts.length; i++) strides[i] = ts[i].strides();
        Collapsed c = Collapsed.of(shape, strides);
        if (c != null) {
            body.run(c, ts);
            return;
        }
        for (int i = 0; i < shape[0]; i++) {
            Tensor[] sub = new Tensor[ts.length];
            for (int j = 0; j < ts.length; j++) sub[j] = ts[j].select(0, i);
            forCollapsed(Arrays.copyOfRange(shape, 1, shape.length), sub, body);
        }
    }

    // ---------------------------------------------------------------- copy and fill

    void copy(Tensor src, Tensor dst) {
        be.mine("copy", src, dst);
        sameShape("copy", dst, src);
        if (dst.numel() == 0) return;
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {
            long bytes = src.dtype().bytesFor(src.numel());
            dev.copy(buf("copy", src), src.byteOffset(), buf("copy", dst), dst.byteOffset(), bytes);
            return;
        }
        forCollapsed(dst.shape(), new Tensor[]{src, dst}, (c, v) -> {
            KernelArgs a = new KernelArgs().l(c.numel);
            c.shape(a);
            operand(a, "copy", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            operand(a, "copy", v[1]).i(v[1].dtype().ordinal());
            c.strides(a, 1);
            launch1("copy_strided", c.numel, a);
        });
    }

    void fill(Tensor dst, double value) {
        be.mine("fill", dst);
        if (dst.numel() == 0) return;
        forCollapsed(dst.shape(), new Tensor[]{dst}, (c, v) -> {
            KernelArgs a = new KernelArgs().l(c.numel);
            c.shape(a);
            operand(a, "fill", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            a.f((float) value).l((long) value);
            launch1("fill_strided", c.numel, a);
        });
    }

    // ---------------------------------------------------------------- elementwise

    void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) {
        be.mine("unary " + op, x, out);
        sameShape("unary " + op, out, x);
        if (out.numel() == 0) return;
        if (x.dtype() == DType.F32 && out.dtype() == DType.F32 && x.isContiguous() && out.isContiguous()) {
            KernelArgs a = new KernelArgs().i(op.ordinal()).f((float) p0).f((float) p1).l(out.numel());
            operand(a, "unary", x);
            operand(a, "unary", out);
            launch1("unary_f32", out.numel(), a);
            return;
        }
        forCollapsed(out.shape(), new Tensor[]{x, out}, (c, v) -> {
            KernelArgs a = new KernelArgs().i(op.ordinal()).f((float) p0).f((float) p1).l(c.numel);
            c.shape(a);
            operand(a, "unary", v[0]).i(v[0].dtype().ordinal());
            c.strides(a, 0);
            operand(a, "unary", v[1]).i(v[1].dtype().ordinal());
            c.strides(a, 1);
            launch1("unary_strided", c.numel, a);
        });
    }

    void binary(BinaryOp op, Tensor x, Tensor y, Tensor out) {
        be.mine("binary " + op, x, y, out);
        sameShape("binary " + op, out, x, y);
        if (out.numel() == 0) return;
        if (x.dtype() == DType.F32 && y.dtype() == DType.F32 && out.dtype() == DType.F32
                && x.isContiguous() && y.isContiguous() && out.isContiguous()) {
            KernelArgs a = new KernelArgs().i(op.ordinal()).l(out.numel());
            operand(a, "binary", x);
            operand(a, "binary", y);
            operand(a, "binary", out);
            launch1("binary_f32", out.numel(), a);
            return;
        }
        forCollapsed(out.shape(), new Tensor[]{x, y, out}, (c, v) -> {
            KernelArgs a = new KernelArgs().i(op.ordinal()).l(c.numel);
            c.shape(a);
            for (int i = 0; i < 3; i++) {
                operand(a, "binary", v[i]).i(v[i].dtype().ordinal());
                c.strides(a, i);
            }
            launch1("binary_strided", c.numel, a);
        });
    }

    // ---------------------------------------------------------------- not yet written

    private static UnsupportedOperationException todo(String op) {
        return new UnsupportedOperationException("GPU backend: " + op + " is not implemented yet");
    }

    void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) { throw todo("reduce"); }
    void softmax(Tensor x, Tensor out) { throw todo("softmax"); }
    void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out) { throw todo("layerNorm"); }
    void rmsNorm(Tensor x, Tensor w, double eps, Tensor out) { throw todo("rmsNorm"); }
    void groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, Tensor out) { throw todo("groupNorm"); }
    void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out) { throw todo("rope"); }
    void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate) { throw todo("matmul"); }
    void attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse) { throw todo("attention"); }
    void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse,
                           Tensor dOut, Tensor dq, Tensor dk, Tensor dv) { throw todo("attentionBackward"); }
    void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) { throw todo("conv2d"); }
    void conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, Tensor dx) { throw todo("conv2dBackwardInput"); }
    void conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, Tensor dw) { throw todo("conv2dBackwardWeight"); }
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out) { throw todo("indexSelect"); }
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw todo("indexAdd"); }
    void adamwStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double b1, double b2, double eps, double wd, long step) { throw todo("adamwStep"); }
}
