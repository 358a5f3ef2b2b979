package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * What the operations of {@link GpuBackend} share: the device, kernel launches of the usual shapes, tensor
 * operands as kernel arguments, and dense temporaries in a per-call {@link GpuScratch}.
 */
final class GpuLaunch {
    final GpuBackend be;
    final GpuDevice dev;

    GpuLaunch(GpuBackend be) {
        this.be = be;
        this.dev = be.device();
    }

    /** The kernel called {@code name} in the program. */
    long kernel(String name) { return dev.kernel(name); }

    /**
     * Work-group size of plain 1-D launches and of row kernels (one work-group per row): a power of two up to
     * 256 (the kernels' local arrays), fixed per device: an OpenCL CPU compiler specialises a kernel for each
     * local size it meets, so one size means one compilation.
     */
    int flatLocal() { return Math.min(dev.kind() == GpuDevice.Kind.CPU ? 64 : 256, Integer.highestOneBit(Math.max(1, dev.maxLocalSize()))); }

    /** 1-D launch over n work-items (rounded up to whole work-groups; kernels check their bounds). */
    void launch1(String kernel, long n, KernelArgs args) {
        if (n == 0) return;
        int local = flatLocal();
        dev.launch(kernel(kernel), new long[]{roundUp(n, local)}, new long[]{local}, args);
    }

    /** Launch of {@code groups} work-groups of {@link #flatLocal} work-items, one per row. */
    void launchRows(String kernel, long groups, KernelArgs args) {
        if (groups == 0) return;
        int local = flatLocal();
        dev.launch(kernel(kernel), new long[]{groups * local}, new long[]{local}, args);
    }

    /** Launch of a 2-D grid: global and local sizes per dimension. */
    void launch(String kernel, long[] global, long[] local, KernelArgs args) {
        dev.launch(kernel(kernel), global, local, args);
    }

    /** Whether to use the local-memory tiled kernels (GPUs) rather than the register-blocked ones (CPU devices). */
    boolean tiled() { return be.variant() == GpuBackend.Variant.TILED; }

    static long roundUp(long n, long m) { return (n + m - 1) / m * m; }

    /** Appends a tensor operand: its device buffer and element offset. */
    KernelArgs operand(KernelArgs a, String op, Tensor t) { return a.tensor(be.buffer(op, t), t.offset()); }

    GpuScratch scratch() { return new GpuScratch(be); }

    /** t itself if contiguous, else a contiguous copy in scratch. */
    Tensor dense(GpuScratch scratch, Tensor t) {
        if (t.isContiguous()) return t;
        Tensor c = scratch.tensor(t.dtype(), t.shape());
        GpuCopy.copy(this, t, c);
        return c;
    }

    /** t as contiguous F32 (itself when it already is). */
    Tensor denseF32(GpuScratch scratch, Tensor t) {
        if (t.dtype() == DType.F32 && t.isContiguous()) return t;
        Tensor c = scratch.tensor(DType.F32, t.shape());
        GpuCopy.copy(this, t, c);
        return c;
    }

    /** out itself when dense, else a dense scratch tensor to be copied into out by {@link #finishOut}. */
    Tensor outDense(GpuScratch s, Tensor out) {
        return out.isContiguous() ? out : s.tensor(out.dtype(), out.shape());
    }

    /** A dense F32 tensor to write, or out itself when it already is one; {@link #finishOut} copies it back. */
    Tensor outF32(GpuScratch s, Tensor out) {
        return out.dtype() == DType.F32 && out.isContiguous() ? out : s.tensor(DType.F32, out.shape());
    }

    /** Copies a stand-in from {@link #outDense} or {@link #outF32} into out. */
    void finishOut(Tensor dense, Tensor out) {
        if (dense != out) GpuCopy.copy(this, dense, out);
    }

    /** Rows of the last axis: x viewed as [rows, n]. */
    static long rowsOf(Tensor x) { return x.rank() == 0 ? 1 : x.numel() / Math.max(1, x.size(-1)); }

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
}
