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

    // ---------------------------------------------------------------- rows: reductions, softmax, norms, rope

    /** Work-group size for one row of n elements: a power of two up to 256 (the kernels' local arrays). */
    int rowLocal(long n) {
        int cap = Math.min(256, Integer.highestOneBit(Math.max(1, dev.maxLocalSize())));
        int l = 1;
        while (l < n && l < cap) l <<= 1;
        return l;
    }

    void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) {
        be.mine("reduce", x, out);
        int r = x.rank();
        if (!x.dtype().isFloating()) throw new IllegalArgumentException("reduce " + op + ": input must be floating point, got " + x);
        boolean[] red = new boolean[r];
        for (int ax : axes) red[flux2.tensor.Shapes.axis(ax, r)] = true;
        int[] expect = x.shape();
        for (int i = 0; i < r; i++) if (red[i]) expect[i] = 1;
        if (!Arrays.equals(expect, out.shape()))
            throw new IllegalArgumentException("reduce " + op + ": out has shape " + Arrays.toString(out.shape()) + ", expected " + Arrays.toString(expect));
        if (op == ReduceOp.ARGMAX && (axes.length != 1 || out.dtype() != DType.I64))
            throw new IllegalArgumentException("argmax takes one axis and writes I64, got " + axes.length + " axes into " + out);
        int[] perm = new int[r];
        int j = 0;
        long kept = 1, count = 1;
        for (int i = 0; i < r; i++) if (!red[i]) { perm[j++] = i; kept *= x.size(i); }
        for (int i = 0; i < r; i++) if (red[i]) { perm[j++] = i; count *= x.size(i); }
        if (kept == 0) return;
        if (count == 0) {
            if (op == ReduceOp.SUM || op == ReduceOp.MEAN) { fill(out, op == ReduceOp.SUM ? 0 : Double.NaN); return; }
            throw new IllegalArgumentException(op + " over an empty axis of shape " + Arrays.toString(x.shape()) + " has no identity");
        }
        try (TensorArena s = scratch()) {
            Tensor rows = denseF32(s, x.permute(perm));
            Tensor res = temp(s, op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, (int) kept);
            int local = rowLocal(count);
            KernelArgs a = new KernelArgs();
            if (op != ReduceOp.ARGMAX) a.i(op.ordinal());
            a.l(kept).i(Math.toIntExact(count));
            operand(a, "reduce", rows);
            operand(a, "reduce", res);
            launchGroups(op == ReduceOp.ARGMAX ? "argmax_rows" : "reduce_rows", kept, local, 1, a);
            copy(res.reshape(out.permute(perm).shape()), out.permute(perm));
        }
    }

    /** Rows of the last axis: x viewed as [rows, n]. */
    private static long rowsOf(Tensor x) { return x.rank() == 0 ? 1 : x.numel() / Math.max(1, x.size(-1)); }

    /** out itself when dense, else a dense scratch tensor to be copied into out afterwards. */
    private Tensor outDense(TensorArena s, Tensor out) {
        return out.isContiguous() ? out : temp(s, out.dtype(), out.shape());
    }

    private void finishOut(Tensor dense, Tensor out) {
        if (dense != out) copy(dense, out);
    }

    void softmax(Tensor x, Tensor out) {
        be.mine("softmax", x, out);
        sameShape("softmax", out, x);
        if (!x.dtype().isFloating() || !out.dtype().isFloating()) throw new IllegalArgumentException("softmax needs floating tensors, got " + x + " and " + out);
        if (x.numel() == 0) return;
        int n = x.rank() == 0 ? 1 : x.size(-1);
        long rows = rowsOf(x);
        try (TensorArena s = scratch()) {
            Tensor xd = dense(s, x);
            Tensor od = out.dtype() == DType.F32 && out.isContiguous() ? out : temp(s, DType.F32, out.shape());
            KernelArgs a = new KernelArgs().l(rows).i(n);
            operand(a, "softmax", xd).i(xd.dtype().ordinal());
            operand(a, "softmax", od);
            launchGroups("softmax_rows", rows, rowLocal(n), 1, a);
            finishOut(od, out);
        }
    }

    void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out) { rowNorm("layerNorm", true, x, w, b, eps, out); }

    void rmsNorm(Tensor x, Tensor w, double eps, Tensor out) { rowNorm("rmsNorm", false, x, w, null, eps, out); }

    private void rowNorm(String what, boolean centered, Tensor x, Tensor w, Tensor b, double eps, Tensor out) {
        be.mine(what, x, w, b, out);
        sameShape(what, out, x);
        if (x.rank() == 0) throw new IllegalArgumentException(what + " needs at least one axis, got a scalar");
        if (!(eps >= 0)) throw new IllegalArgumentException(what + ": eps must be >= 0, got " + eps);
        if (!out.dtype().isFloating()) throw new IllegalArgumentException(what + " cannot write dtype " + out.dtype());
        int n = x.size(-1);
        for (Tensor p : new Tensor[]{w, b})
            if (p != null && p.numel() != n)
                throw new IllegalArgumentException(what + ": weight/bias " + Arrays.toString(p.shape()) + " does not match the last axis " + n + " of " + Arrays.toString(x.shape()));
        if (x.numel() == 0) return;
        long rows = rowsOf(x);
        try (TensorArena s = scratch()) {
            Tensor xd = dense(s, x), od = outDense(s, out);
            KernelArgs a = new KernelArgs().i(centered ? 1 : 0).l(rows).i(n).f((float) eps);
            operand(a, what, xd).i(xd.dtype().ordinal());
            vector(s, a, w, n);
            vector(s, a, b, n);
            operand(a, what, od).i(od.dtype().ordinal());
            launchGroups("row_norm", rows, rowLocal(n), 1, a);
            finishOut(od, out);
        }
    }

    /** Appends an optional dense vector operand (buffer, offset, dtype, present flag). */
    private void vector(TensorArena s, KernelArgs a, Tensor v, int n) {
        if (v == null) {
            a.tensor(0, 0).i(0).i(0);
            return;
        }
        Tensor d = dense(s, v.reshape(n));
        operand(a, "vector", d).i(d.dtype().ordinal()).i(1);
    }

    void groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, Tensor out) {
        be.mine("groupNorm", x, w, b, out);
        sameShape("groupNorm", out, x);
        if (x.rank() < 2) throw new IllegalArgumentException("groupNorm needs x [N, C, ...], got " + Arrays.toString(x.shape()));
        int c = x.size(1);
        if (groups <= 0 || c % groups != 0)
            throw new IllegalArgumentException("groupNorm: " + groups + " groups do not divide " + c + " channels of " + Arrays.toString(x.shape()));
        if (!(eps >= 0)) throw new IllegalArgumentException("groupNorm: eps must be >= 0, got " + eps);
        if (x.numel() == 0) return;
        long plane = x.numel() / ((long) x.size(0) * c);
        long rows = (long) x.size(0) * groups;
        try (TensorArena s = scratch()) {
            Tensor xd = dense(s, x), od = outDense(s, out);
            KernelArgs a = new KernelArgs().l(rows).i(groups).i(c / groups).l(plane).f((float) eps);
            operand(a, "groupNorm", xd).i(xd.dtype().ordinal());
            vector(s, a, w, c);
            vector(s, a, b, c);
            operand(a, "groupNorm", od).i(od.dtype().ordinal());
            launchGroups("group_norm", rows, rowLocal((long) (c / groups) * plane), 1, a);
            finishOut(od, out);
        }
    }

    void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out) {
        be.mine("rope", x, cos, sin, out);
        sameShape("rope", out, x);
        int r = x.rank();
        if (r < 2 || x.size(-1) % 2 != 0)
            throw new IllegalArgumentException("rope needs x [..., L, D] with even D, got " + Arrays.toString(x.shape()));
        int half = x.size(-1) / 2;
        int[] tableShape = x.shape();
        tableShape[r - 1] = half;
        Tensor c = table("cos", cos, x, tableShape), sn = table("sin", sin, x, tableShape);
        if (x.numel() == 0) return;
        long rows = rowsOf(x);
        try (TensorArena s = scratch()) {
            Tensor xd = dense(s, x), od = outDense(s, out);
            int[] lead = Arrays.copyOf(tableShape, r - 1);
            Collapsed cl = Collapsed.of(lead, Arrays.copyOf(c.strides(), r - 1), Arrays.copyOf(sn.strides(), r - 1));
            if (cl == null) {
                c = dense(s, c);
                sn = dense(s, sn);
                cl = Collapsed.of(new int[]{(int) rows}, new long[]{half}, new long[]{half});
            }
            KernelArgs a = new KernelArgs().i(layout == RopeLayout.INTERLEAVED ? 1 : 0).l(rows).i(half);
            cl.shape(a);
            operand(a, "rope", xd).i(xd.dtype().ordinal());
            operand(a, "rope", c).i(c.dtype().ordinal());
            cl.strides(a, 0).l(c.stride(-1));
            operand(a, "rope", sn).i(sn.dtype().ordinal());
            cl.strides(a, 1).l(sn.stride(-1));
            operand(a, "rope", od).i(od.dtype().ordinal());
            launch1("rope_rows", rows * half, a);
            finishOut(od, out);
        }
    }

    /** cos or sin as a view of x's shape with D/2 channels; a clear error when it does not broadcast. */
    private static Tensor table(String name, Tensor t, Tensor x, int[] shape) {
        int r = shape.length;
        boolean ok = t.rank() >= 2 && t.rank() <= r && t.size(-1) == shape[r - 1] && t.size(-2) == shape[r - 2];
        for (int i = 0; ok && i < t.rank() - 2; i++) {
            int td = t.shape()[i], xd = shape[r - t.rank() + i];
            ok = td == xd || td == 1;
        }
        if (!ok)
            throw new IllegalArgumentException("rope: " + name + " " + Arrays.toString(t.shape()) + " does not broadcast to "
                    + Arrays.toString(shape) + " for x " + Arrays.toString(x.shape()) + " (expected [..., L, D/2])");
        return t.expand(shape);
    }

    // ---------------------------------------------------------------- not yet written

    private static UnsupportedOperationException todo(String op) {
        return new UnsupportedOperationException("GPU backend: " + op + " is not implemented yet");
    }

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
