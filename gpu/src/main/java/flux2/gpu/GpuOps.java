package flux2.gpu;

import flux2.tensor.AttentionSpec;
import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.ReduceOp;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
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

    /**
     * Work-group size of plain 1-D launches. Fixed per device: an OpenCL CPU compiler specialises a kernel for
     * each local size it meets, so one size means one compilation.
     */
    int flatLocal() { return Math.min(dev.kind() == GpuDevice.Kind.CPU ? 64 : 256, Integer.highestOneBit(Math.max(1, dev.maxLocalSize()))); }

    /** 1-D launch over n work-items (rounded up to whole work-groups; kernels check their bounds). */
    void launch1(String kernel, long n, KernelArgs args) {
        if (n == 0) return;
        int local = flatLocal();
        dev.launch(k(kernel), new long[]{roundUp(n, local)}, new long[]{local}, args);
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
    Tensor temp(GpuScratch scratch, DType dt, int... shape) { return scratch.tensor(dt, shape); }

    /** t itself if contiguous, else a contiguous copy in scratch. */
    Tensor dense(GpuScratch scratch, Tensor t) {
        if (t.isContiguous()) return t;
        Tensor c = temp(scratch, t.dtype(), t.shape());
        copy(t, c);
        return c;
    }

    /** t as contiguous F32 (itself when it already is). */
    Tensor denseF32(GpuScratch scratch, Tensor t) {
        if (t.dtype() == DType.F32 && t.isContiguous()) return t;
        Tensor c = temp(scratch, DType.F32, t.shape());
        copy(t, c);
        return c;
    }

    GpuScratch scratch() { return new GpuScratch(be); }

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

    /**
     * Work-group size for row kernels: a power of two up to 256 (the kernels' local arrays), the same for
     * every row length so that each kernel is specialised once.
     */
    int rowLocal(long n) { return flatLocal(); }

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
        try (GpuScratch s = scratch()) {
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
    private Tensor outDense(GpuScratch s, Tensor out) {
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
        try (GpuScratch s = scratch()) {
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
        try (GpuScratch s = scratch()) {
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
    private void vector(GpuScratch s, KernelArgs a, Tensor v, int n) {
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
        try (GpuScratch s = scratch()) {
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
        try (GpuScratch s = scratch()) {
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

    // ---------------------------------------------------------------- matmul

    /** Whether to use the local-memory tiled kernels (GPUs) rather than the register-blocked ones (CPU devices). */
    boolean tiled() { return be.variant() == GpuBackend.Variant.TILED; }

    void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate) {
        be.mine("matmul", a, b, out);
        int r = out.rank();
        if (r < 2 || a.rank() != r || (b.rank() != r && b.rank() != 2))
            throw new IllegalArgumentException("matmul: ranks of a " + a + ", b " + b + " and out " + out + " do not fit");
        int m = out.size(-2), n = out.size(-1), k = a.size(-1);
        if (a.size(-2) != m || b.size(-2) != k || b.size(-1) != n
                || !Arrays.equals(Arrays.copyOf(a.shape(), r - 2), Arrays.copyOf(out.shape(), r - 2))
                || (b.rank() == r && !Arrays.equals(Arrays.copyOf(b.shape(), r - 2), Arrays.copyOf(out.shape(), r - 2))))
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape())
                    + " -> " + Arrays.toString(out.shape()) + " do not match");
        if (out.dtype() != DType.F32 || a.dtype() != DType.F32 || (b.dtype() != DType.F32 && b.dtype() != DType.BF16))
            throw new IllegalArgumentException("matmul: a and out must be F32 and b F32 or BF16, got " + a + ", " + b + ", " + out);
        if (out.numel() == 0) return;
        if (k == 0) {
            if (!accumulate) fill(out, 0);
            return;
        }
        Tensor bx = b.rank() == r ? b : b.expand(batchShape(out, k, n));
        int[] batch = Arrays.copyOf(out.shape(), r - 2);
        Tensor[] ops3 = {a, bx, out};
        matmulBatches(batch, ops3, m, n, k, accumulate);
    }

    private static int[] batchShape(Tensor out, int k, int n) {
        int[] s = out.shape();
        s[s.length - 2] = k;
        s[s.length - 1] = n;
        return s;
    }

    private void matmulBatches(int[] batch, Tensor[] t, int m, int n, int k, boolean accumulate) {
        long[][] bs = new long[3][];
        for (int i = 0; i < 3; i++) bs[i] = Arrays.copyOf(t[i].strides(), batch.length);
        Collapsed c = Collapsed.of(batch, bs);
        if (c == null || c.sizes[0] * c.sizes[1] * c.sizes[2] != 1) {
            for (int i = 0; i < batch[0]; i++) {
                Tensor[] sub = {t[0].select(0, i), t[1].select(0, i), t[2].select(0, i)};
                matmulBatches(Arrays.copyOfRange(batch, 1, batch.length), sub, m, n, k, accumulate);
            }
            return;
        }
        Tensor a = t[0], b = t[1], out = t[2];
        long batches = c.numel;
        KernelArgs args = new KernelArgs().i(m).i(n).i(k).i(accumulate ? 1 : 0).i(c.sizes[3]).i(c.sizes[4]).i(c.sizes[5]);
        operand(args, "matmul", a).l(c.strides[0][3]).l(c.strides[0][4]).l(c.strides[0][5]).l(a.stride(-2)).l(a.stride(-1));
        operand(args, "matmul", b).i(b.dtype() == DType.BF16 ? 1 : 0)
                .l(c.strides[1][3]).l(c.strides[1][4]).l(c.strides[1][5]).l(b.stride(-2)).l(b.stride(-1));
        operand(args, "matmul", out).l(c.strides[2][3]).l(c.strides[2][4]).l(c.strides[2][5]).l(out.stride(-2)).l(out.stride(-1));
        if (tiled()) {
            dev.launch(k("matmul_tiled"), new long[]{roundUp(n, 64) / 4, roundUp(m, 64) / 4, batches}, new long[]{16, 16, 1}, args);
        } else {
            String name = b.dtype() == DType.BF16 ? "matmul_reg_bf16" : "matmul_reg_f32";
            dev.launch(k(name), new long[]{roundUp((n + 7) / 8, 8), roundUp((m + 3) / 4, 8), batches}, new long[]{8, 8, 1}, args);
        }
    }

    // ---------------------------------------------------------------- attention

    private static final int ATTN_DMAX = 256;

    /** [B, H, Lq, Lk, D, Hkv] after checking shapes as the CPU backend does. */
    private int[] attnDims(String op, Tensor q, Tensor k, Tensor v, Tensor mask, double scale) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
            throw new IllegalArgumentException(op + ": q, k, v must be [B, H, L, D], got q " + Arrays.toString(q.shape())
                    + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        int b = q.size(0), h = q.size(1), lq = q.size(2), d = q.size(3), hkv = k.size(1), lk = k.size(2);
        if (k.size(0) != b || k.size(3) != d || !Arrays.equals(k.shape(), v.shape()))
            throw new IllegalArgumentException(op + ": q " + Arrays.toString(q.shape()) + " needs k [" + b + ", Hkv, Lk, " + d
                    + "] and v of the same shape, got k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        if (hkv == 0 || h % hkv != 0)
            throw new IllegalArgumentException(op + ": query heads " + h + " must be a multiple of key/value heads " + hkv);
        for (Tensor t : new Tensor[]{q, k, v})
            if (!t.dtype().isFloating()) throw new IllegalArgumentException(op + ": q, k, v must be floating point, got " + t.dtype());
        if (mask != null) {
            if (mask.dtype() != DType.BOOL && mask.dtype() != DType.U8)
                throw new IllegalArgumentException(op + ": keyMask must be BOOL or U8, got " + mask.dtype());
            if (mask.rank() != 2 || mask.size(0) != b || mask.size(1) != lk)
                throw new IllegalArgumentException(op + ": keyMask must be [" + b + ", " + lk + "], got " + Arrays.toString(mask.shape()));
        }
        if (!Double.isFinite(scale)) throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
        if (d > ATTN_DMAX) throw new IllegalArgumentException(op + ": head dimension " + d + " exceeds the GPU kernels' " + ATTN_DMAX);
        return new int[]{b, h, lq, lk, d, hkv};
    }

    private static void expectShape(String what, Tensor t, int... shape) {
        if (t != null && !Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException("attention: " + what + " must be " + Arrays.toString(shape) + ", got " + Arrays.toString(t.shape()));
    }

    private int attnLocal() { return Math.min(64, Integer.highestOneBit(Math.max(1, dev.maxLocalSize()))); }

    /** A dense U8 view of the key mask (BOOL shares its bytes). */
    private Tensor maskArg(GpuScratch s, KernelArgs a, Tensor mask) {
        if (mask == null) {
            a.tensor(0, 0).i(0);
            return null;
        }
        Tensor m = dense(s, mask);
        operand(a, "attention", m).i(1);
        return m;
    }

    /** A dense F32 tensor to write, or out itself when it already is one. */
    private Tensor outF32(GpuScratch s, Tensor out) {
        return out.dtype() == DType.F32 && out.isContiguous() ? out : temp(s, DType.F32, out.shape());
    }

    void attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse) {
        be.mine("attention", q, k, v, mask, out, lse);
        int[] d = attnDims("attention", q, k, v, mask, spec.scale());
        expectShape("out", out, d[0], d[1], d[2], d[4]);
        expectShape("lse", lse, d[0], d[1], d[2]);
        if (out.numel() == 0 && (lse == null || lse.numel() == 0)) return;
        try (GpuScratch s = scratch()) {
            Tensor qd = denseF32(s, q), kd = denseF32(s, k), vd = denseF32(s, v);
            Tensor od = outF32(s, out), ld = lse == null ? null : outF32(s, lse);
            KernelArgs a = attnHead(d, spec);
            operand(a, "attention", qd);
            operand(a, "attention", kd);
            operand(a, "attention", vd);
            maskArg(s, a, mask);
            operand(a, "attention", od);
            if (ld == null) a.tensor(0, 0).i(0);
            else operand(a, "attention", ld).i(1);
            if (splitAttention(d)) {
                // 16 queries per work-group, each split over 8 work-items (see attention_fwd_split)
                dev.launch(k("attention_fwd_split"), new long[]{(d[2] + 15) / 16 * 128L, (long) d[0] * d[1]}, new long[]{128, 1}, a);
            } else {
                int local = attnLocal();
                dev.launch(k("attention_fwd"), new long[]{roundUp(d[2], local), (long) d[0] * d[1]}, new long[]{local, 1}, a);
            }
            finishOut(od, out);
            if (ld != null) finishOut(ld, lse);
        }
    }

    /**
     * Whether to run the GPU attention kernels that split each row over 8 work-items (tiled variant, head
     * dimension a multiple of 8) rather than one work-item per row.
     */
    private boolean splitAttention(int[] d) { return tiled() && d[4] % 8 == 0; }

    private static KernelArgs attnHead(int[] d, AttentionSpec spec) {
        return new KernelArgs().i(d[1]).i(d[5]).i(d[2]).i(d[3]).i(d[4]).f((float) spec.scale()).i(spec.causal() ? 1 : 0);
    }

    void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse,
                           Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        be.mine("attentionBackward", q, k, v, mask, out, lse, dOut, dq, dk, dv);
        if (lse == null) throw new IllegalArgumentException("attentionBackward needs the lse written by the forward pass");
        int[] d = attnDims("attentionBackward", q, k, v, mask, spec.scale());
        expectShape("out", out, q.shape());
        expectShape("dOut", dOut, q.shape());
        expectShape("dq", dq, q.shape());
        expectShape("dk", dk, k.shape());
        expectShape("dv", dv, v.shape());
        expectShape("lse", lse, d[0], d[1], d[2]);
        try (GpuScratch s = scratch()) {
            Tensor qd = denseF32(s, q), kd = denseF32(s, k), vd = denseF32(s, v), od = denseF32(s, out);
            Tensor ld = denseF32(s, lse), gd = denseF32(s, dOut);
            Tensor delta = temp(s, DType.F32, d[0], d[1], d[2]);
            long rows = (long) d[0] * d[1] * d[2];
            KernelArgs da = new KernelArgs().l(rows).i(d[4]);
            operand(da, "attentionBackward", od);
            operand(da, "attentionBackward", gd);
            operand(da, "attentionBackward", delta);
            launch1("attention_bwd_delta", rows, da);
            Tensor dqd = outF32(s, dq), dkd = outF32(s, dk), dvd = outF32(s, dv);
            int local = attnLocal();
            KernelArgs a = attnHead(d, spec);
            operand(a, "attentionBackward", qd);
            operand(a, "attentionBackward", kd);
            operand(a, "attentionBackward", vd);
            maskArg(s, a, mask);
            operand(a, "attentionBackward", ld);
            operand(a, "attentionBackward", delta);
            operand(a, "attentionBackward", gd);
            operand(a, "attentionBackward", dqd);
            boolean split = splitAttention(d);
            if (split) dev.launch(k("attention_bwd_dq_split"), new long[]{(d[2] + 15) / 16 * 128L, (long) d[0] * d[1]}, new long[]{128, 1}, a);
            else dev.launch(k("attention_bwd_dq"), new long[]{roundUp(d[2], local), (long) d[0] * d[1]}, new long[]{local, 1}, a);
            KernelArgs b = attnHead(d, spec);
            operand(b, "attentionBackward", qd);
            operand(b, "attentionBackward", kd);
            operand(b, "attentionBackward", vd);
            maskArg(s, b, mask);
            operand(b, "attentionBackward", ld);
            operand(b, "attentionBackward", delta);
            operand(b, "attentionBackward", gd);
            operand(b, "attentionBackward", dkd);
            operand(b, "attentionBackward", dvd);
            if (split) dev.launch(k("attention_bwd_dkv_split"), new long[]{(d[3] + 15) / 16 * 128L, (long) d[0] * d[5]}, new long[]{128, 1}, b);
            else dev.launch(k("attention_bwd_dkv"), new long[]{roundUp(d[3], local), (long) d[0] * d[5]}, new long[]{local, 1}, b);
            finishOut(dqd, dq);
            finishOut(dkd, dk);
            finishOut(dvd, dv);
        }
    }

    // ---------------------------------------------------------------- convolution

    /** [N, C, H, W, Co, KH, KW, Ho, Wo, sh, sw, pt, pl] of a conv2d call, checked as the CPU backend does. */
    private static int[] convGeometry(String op, Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) {
        String call = op + "(x " + Arrays.toString(x.shape()) + ", w " + Arrays.toString(w.shape()) + ", stride "
                + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + ", out " + Arrays.toString(out.shape()) + ")";
        if (x.rank() != 4 || w.rank() != 4 || out.rank() != 4)
            throw new IllegalArgumentException(call + ": x [N, Cin, H, W], w [Cout, Cin, kh, kw] and out [N, Cout, Ho, Wo] must be rank 4");
        if (stride == null || stride.length != 2 || stride[0] < 1 || stride[1] < 1)
            throw new IllegalArgumentException(call + ": stride must be two positive values (sh, sw)");
        if (padding == null || padding.length != 4 || Arrays.stream(padding).anyMatch(p -> p < 0))
            throw new IllegalArgumentException(call + ": padding must be four non-negative values (top, bottom, left, right)");
        if (!x.dtype().isFloating() || !out.dtype().isFloating())
            throw new IllegalArgumentException(call + ": x and out must be floating point");
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16)
            throw new IllegalArgumentException(call + ": w must be F32, BF16 or F16, got " + w.dtype());
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3), co = w.size(0), kh = w.size(2), kw = w.size(3);
        if (w.size(1) != c) throw new IllegalArgumentException(call + ": x has " + c + " channels, w expects " + w.size(1));
        if (bias != null && (bias.rank() != 1 || bias.size(0) != co || !bias.dtype().isFloating()))
            throw new IllegalArgumentException(call + ": bias must be a floating [" + co + "], got " + bias);
        long spanH = (long) h + padding[0] + padding[1] - kh, spanW = (long) wd + padding[2] + padding[3] - kw;
        if (kh < 1 || kw < 1 || spanH < 0 || spanW < 0)
            throw new IllegalArgumentException(call + ": the padded input is smaller than the kernel");
        int ho = (int) (spanH / stride[0] + 1), wo = (int) (spanW / stride[1] + 1);
        if (!Arrays.equals(out.shape(), new int[]{n, co, ho, wo}))
            throw new IllegalArgumentException(call + ": out must have shape " + Arrays.toString(new int[]{n, co, ho, wo}));
        return new int[]{n, c, h, wd, co, kh, kw, ho, wo, stride[0], stride[1], padding[0], padding[2]};
    }

    private static KernelArgs geometryArgs(int[] g) {
        KernelArgs a = new KernelArgs();
        for (int v : g) a.i(v);
        return a;
    }

    void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) {
        be.mine("conv2d", x, w, bias, out);
        int[] g = convGeometry("conv2d", x, w, bias, stride, padding, out);
        if (out.numel() == 0) return;
        try (GpuScratch s = scratch()) {
            Tensor xd = denseF32(s, x), wd = dense(s, w), od = outF32(s, out);
            KernelArgs a = geometryArgs(g);
            operand(a, "conv2d", xd);
            operand(a, "conv2d", wd).i(wd.dtype().ordinal());
            if (bias == null) a.tensor(0, 0).i(0).i(0);
            else {
                Tensor bd = dense(s, bias);
                operand(a, "conv2d", bd).i(bd.dtype().ordinal()).i(1);
            }
            operand(a, "conv2d", od);
            launch1("conv2d_fwd", out.numel(), a);
            finishOut(od, out);
        }
    }

    void conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, Tensor dx) {
        be.mine("conv2dBackwardInput", dOut, w, dx);
        if (dx.dtype() != DType.F32) throw new IllegalArgumentException("conv2dBackwardInput: dx must be F32, got " + dx.dtype());
        int[] g = convGeometry("conv2dBackwardInput", dx, w, null, stride, padding, dOut);
        if (dx.numel() == 0) return;
        try (GpuScratch s = scratch()) {
            Tensor gd = denseF32(s, dOut), wd = dense(s, w), xd = outF32(s, dx);
            KernelArgs a = geometryArgs(g);
            operand(a, "conv2dBackwardInput", gd);
            operand(a, "conv2dBackwardInput", wd).i(wd.dtype().ordinal());
            operand(a, "conv2dBackwardInput", xd);
            launch1("conv2d_bwd_input", dx.numel(), a);
            finishOut(xd, dx);
        }
    }

    void conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, Tensor dw) {
        be.mine("conv2dBackwardWeight", x, dOut, dw);
        if (dw.dtype() != DType.F32) throw new IllegalArgumentException("conv2dBackwardWeight: dw must be F32, got " + dw.dtype());
        int[] g = convGeometry("conv2dBackwardWeight", x, dw, null, stride, padding, dOut);
        if (dw.numel() == 0) return;
        try (GpuScratch s = scratch()) {
            Tensor xd = denseF32(s, x), gd = denseF32(s, dOut), wd = outF32(s, dw);
            KernelArgs a = geometryArgs(g);
            operand(a, "conv2dBackwardWeight", xd);
            operand(a, "conv2dBackwardWeight", gd);
            operand(a, "conv2dBackwardWeight", wd);
            long pixels = (long) g[0] * g[7] * g[8];
            launchGroups("conv2d_bwd_weight", dw.numel(), rowLocal(pixels), 1, a);
            finishOut(wd, dw);
        }
    }

    // ---------------------------------------------------------------- gather / scatter-add

    /** Checks a rank-1 I64/I32 index against axis d of x, reading it back to the host (indices are small). */
    private void checkIndex(String op, Tensor index, Tensor x, int d) {
        if (index.rank() != 1 || (index.dtype() != DType.I64 && index.dtype() != DType.I32))
            throw new IllegalArgumentException(op + ": index must be a rank-1 I64 or I32 tensor, got " + index);
        long[] v = index.toLongArray();
        int size = x.size(d);
        for (int i = 0; i < v.length; i++)
            if (v[i] < 0 || v[i] >= size)
                throw new IllegalArgumentException(op + ": index " + v[i] + " at position " + i + " is out of range for axis "
                        + d + " of size " + size + " (shape " + Arrays.toString(x.shape()) + ")");
    }

    private static long prod(int[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) p *= shape[i];
        return p;
    }

    void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        be.mine("indexSelect", x, index, out);
        if (x.rank() == 0) throw new IllegalArgumentException("indexSelect: x must have at least one axis, got a scalar");
        int d = flux2.tensor.Shapes.axis(dim, x.rank());
        checkIndex("indexSelect", index, x, d);
        int count = index.size(0);
        int[] expect = x.shape();
        expect[d] = count;
        if (!Arrays.equals(out.shape(), expect))
            throw new IllegalArgumentException("indexSelect: out has shape " + Arrays.toString(out.shape()) + ", expected "
                    + Arrays.toString(expect) + " for x " + Arrays.toString(x.shape()) + " and " + count + " indices on axis " + d);
        if (out.numel() == 0) return;
        try (GpuScratch s = scratch()) {
            Tensor xd = dense(s, x), id = dense(s, index), od = outDense(s, out);
            int[] shp = x.shape();
            KernelArgs a = new KernelArgs().l(prod(shp, 0, d)).i(shp[d]).i(count).l(prod(shp, d + 1, shp.length));
            operand(a, "indexSelect", xd).i(xd.dtype().ordinal());
            operand(a, "indexSelect", id).i(id.dtype().ordinal());
            operand(a, "indexSelect", od).i(od.dtype().ordinal());
            launch1("index_select", out.numel(), a);
            finishOut(od, out);
        }
    }

    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        be.mine("indexAdd", dst, index, src);
        if (dst.rank() == 0) throw new IllegalArgumentException("indexAdd: dst must have at least one axis, got a scalar");
        if (!dst.dtype().isFloating() || !src.dtype().isFloating())
            throw new IllegalArgumentException("indexAdd: dst and src must be floating point, got " + dst.dtype() + " and " + src.dtype());
        int d = flux2.tensor.Shapes.axis(dim, dst.rank());
        checkIndex("indexAdd", index, dst, d);
        int count = index.size(0);
        int[] expect = dst.shape();
        expect[d] = count;
        if (!Arrays.equals(src.shape(), expect))
            throw new IllegalArgumentException("indexAdd: src has shape " + Arrays.toString(src.shape()) + ", expected "
                    + Arrays.toString(expect) + " for dst " + Arrays.toString(dst.shape()) + " and " + count + " indices on axis " + d);
        if (src.numel() == 0) return;
        try (GpuScratch s = scratch()) {
            Tensor dd = dense(s, dst), id = dense(s, index), sd = dense(s, src);
            int[] shp = dst.shape();
            long outer = prod(shp, 0, d), inner = prod(shp, d + 1, shp.length);
            KernelArgs a = new KernelArgs().l(outer).i(shp[d]).i(count).l(inner);
            operand(a, "indexAdd", dd).i(dd.dtype().ordinal());
            operand(a, "indexAdd", id).i(id.dtype().ordinal());
            operand(a, "indexAdd", sd).i(sd.dtype().ordinal());
            launch1("index_add", outer * inner, a);
            finishOut(dd, dst);
        }
    }

    // ---------------------------------------------------------------- optimizer

    void adamwStep(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
                   double weightDecay, long step) {
        be.mine("adamwStep", p, g, m, v);
        for (Tensor t : new Tensor[]{p, g, m, v})
            if (t.dtype() != DType.F32 || !t.isContiguous() || !Arrays.equals(t.shape(), p.shape()))
                throw new IllegalArgumentException("adamwStep: param, grad, m and v must be contiguous F32 of shape "
                        + Arrays.toString(p.shape()) + ", got " + t);
        if (step < 1) throw new IllegalArgumentException("adamwStep: step counts from 1, got " + step);
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        KernelArgs a = new KernelArgs().l(p.numel());
        operand(a, "adamwStep", p);
        operand(a, "adamwStep", g);
        operand(a, "adamwStep", m);
        operand(a, "adamwStep", v);
        a.f((float) beta1).f((float) beta2).f((float) eps).f((float) (1 - lr * weightDecay)).f((float) (lr / bc1)).f((float) bc2Sqrt);
        launch1("adamw_step", p.numel(), a);
    }
}
