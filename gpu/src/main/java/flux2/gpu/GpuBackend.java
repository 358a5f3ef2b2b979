package flux2.gpu;

import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.BinaryOp;
import flux2.tensor.Shapes;
import flux2.tensor.Storage;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import flux2.tensor.ops.AdamWStep;
import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.IndexAxis;
import flux2.tensor.ops.MatmulDims;
import flux2.tensor.ops.ModulationDims;
import flux2.tensor.ops.NormBackwardDims;
import flux2.tensor.ops.Operands;
import flux2.tensor.ops.Reduction;
import flux2.tensor.ops.RopeTable;
import flux2.tensor.ops.RowNormDims;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link Backend} of any {@link GpuDevice}: every operation is a few launches of the shared kernel
 * program, so OpenCL and CUDA devices run the same code. Tensors stay in device memory between operations;
 * their storage segment has the device buffer handle as its address and no host bytes (a host access fails
 * at once), and the arena that owns it frees the buffer when it closes.
 */
public class GpuBackend implements Backend {
    /** Which family of kernel variants to launch where a device-specific choice exists (matmul). */
    public enum Variant {
        /** Chosen from the device: tiled local-memory kernels on GPUs, register-blocked ones on CPU devices. */
        AUTO,
        /** Local-memory tiles of 64 x 64 with 16 x 16 work-groups, the shape GPUs want. */
        TILED,
        /** Register blocks without local memory, the shape OpenCL CPU compilers vectorise. */
        REGISTER
    }

    private final GpuDevice device;
    private final Variant variant;
    private final AtomicLong liveBytes = new AtomicLong();
    private final long memoryCap;
    private final GpuLaunch launch;

    /**
     * A backend on {@code device} with the kernel variants of system property {@code flux2.gpu.variant}
     * (auto, tiled or register; auto when unset), so a whole run can exercise the GPU-shaped kernels on a
     * CPU OpenCL device.
     */
    public GpuBackend(GpuDevice device) { this(device, variantProperty()); }

    private static Variant variantProperty() {
        String v = System.getProperty("flux2.gpu.variant", "auto");
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Variant.AUTO;
            case "tiled" -> Variant.TILED;
            case "register" -> Variant.REGISTER;
            default -> throw new IllegalArgumentException("system property flux2.gpu.variant='" + v + "': allowed values are auto, tiled, register");
        };
    }

    /**
     * A backend on {@code device} that launches the given kernel variants (tests cover both on one device), with the
     * device memory cap of system property {@value DeviceMemoryCap#PROPERTY} (none when unset).
     */
    public GpuBackend(GpuDevice device, Variant variant) { this(device, variant, DeviceMemoryCap.fromProperty()); }

    /** A backend that may hold at most {@code memoryCap} bytes of device memory at once (-1: no cap but the device's). */
    public GpuBackend(GpuDevice device, Variant variant, long memoryCap) {
        this.device = device;
        this.variant = variant;
        this.memoryCap = memoryCap;
        this.launch = new GpuLaunch(this);
    }

    /** The kernel variants this backend launches, AUTO resolved against the device. */
    public Variant variant() {
        if (variant != Variant.AUTO) return variant;
        return device.kind() != GpuDevice.Kind.CPU && device.maxLocalSize() >= 256 ? Variant.TILED : Variant.REGISTER;
    }

    public GpuDevice device() { return device; }

    @Override public String name() { return device.name(); }

    @Override public boolean isHost() { return false; }

    @Override public long deviceBytesInUse() { return liveBytes.get(); }

    /** The device's memory, or the memory cap when one is set and smaller: what a run may plan to hold. */
    @Override public long deviceMemoryBytes() {
        long m = device.memoryBytes();
        return memoryCap > 0 && (m <= 0 || memoryCap < m) ? memoryCap : m;
    }

    /** The memory cap in bytes, or -1 when there is none. */
    public long memoryCap() { return memoryCap; }

    @Override
    public MemorySegment allocate(long bytes, TensorArena arena) {
        long size = Math.max(bytes, 16);
        reserve(size);
        long handle;
        try {
            handle = device.allocate(size);
        } catch (RuntimeException | Error e) {
            liveBytes.addAndGet(-size);
            throw e;
        }
        try {
            return MemorySegment.ofAddress(handle).reinterpret(0, arena.scope(), s -> {
                device.free(handle);
                liveBytes.addAndGet(-size);
            });
        } catch (RuntimeException e) {
            device.free(handle);
            liveBytes.addAndGet(-size);
            throw e;
        }
    }

    /** Counts {@code size} more bytes in use, refusing them when they would go past the cap. */
    void reserve(long size) {
        while (true) {
            long now = liveBytes.get();
            if (memoryCap > 0 && now + size > memoryCap) throw DeviceMemoryCap.exceeded(name(), memoryCap, now, size);
            if (liveBytes.compareAndSet(now, now + size)) return;
        }
    }

    /** Counts {@code size} bytes fewer in use (a buffer of {@link #reserve} freed). */
    void release(long size) { liveBytes.addAndGet(-size); }

    /** The device buffer of a tensor of this backend; a clear error for a tensor of another backend. */
    long buffer(String op, Tensor t) {
        if (t.backend() != this)
            throw new IllegalArgumentException(name() + " " + op + ": a tensor lives on " + t.backend().name()
                    + ", not on " + name() + "; move it with Tensor.to(backend) first (" + t + ")");
        if (t.dtype().isPacked())
            throw new IllegalArgumentException(name() + " " + op + ": packed dtype " + t.dtype() + " is not supported on GPU devices");
        return t.segment().address();
    }

    /** Checks that every non-null tensor is on this backend. */
    void mine(String op, Tensor... ts) {
        for (Tensor t : ts) if (t != null) buffer(op, t);
    }

    // ---------------------------------------------------------------- transfers

    @Override
    public synchronized void upload(Tensor hostSrc, Tensor dst) {
        if (!hostSrc.backend().isHost()) throw new IllegalArgumentException("upload: source " + hostSrc + " is not in host memory");
        Operands.requireSameShape("upload", dst, hostSrc);
        if (hostSrc.dtype() != dst.dtype()) {
            upload(hostSrc.to(dst.dtype()), dst);
            return;
        }
        Tensor src = hostSrc.contiguous();
        long bytes = src.dtype().bytesFor(src.numel());
        if (bytes == 0) return;
        if (dst.isContiguous()) {
            device.upload(src.segment(), src.byteOffset(), buffer("upload", dst), dst.byteOffset(), bytes);
        } else {
            try (GpuScratch s = launch.scratch()) {
                Tensor staged = s.tensor(dst.dtype(), dst.shape());
                device.upload(src.segment(), src.byteOffset(), buffer("upload", staged), 0, bytes);
                copy(staged, dst);
            }
        }
    }

    @Override
    public synchronized void download(Tensor src, Tensor hostDst) {
        if (!hostDst.backend().isHost()) throw new IllegalArgumentException("download: target " + hostDst + " is not in host memory");
        Operands.requireSameShape("download", hostDst, src);
        try (GpuScratch scratch = launch.scratch(); Arena host = Arena.ofConfined()) {
            Tensor s = src;
            if (src.dtype() != hostDst.dtype() || !src.isContiguous()) {
                s = scratch.tensor(hostDst.dtype(), src.shape());
                copy(src, s);
            }
            long bytes = s.dtype().bytesFor(s.numel());
            if (bytes == 0) return;
            if (hostDst.isContiguous()) {
                device.download(buffer("download", s), s.byteOffset(), hostDst.segment(), hostDst.byteOffset(), bytes);
            } else {
                MemorySegment seg = host.allocate(bytes, 64);
                device.download(buffer("download", s), s.byteOffset(), seg, 0, bytes);
                Tensor staged = new Tensor(new Storage(Backends.cpu(), seg, true), hostDst.dtype(), hostDst.shape(),
                        Shapes.contiguousStrides(hostDst.shape()), 0);
                Backends.cpu().copy(staged, hostDst);
            }
        }
    }

    @Override public void finish() { device.finish(); }

    @Override public boolean isIdle() { return device.isIdle(); }

    @Override
    public synchronized <T> T withNativeQueue(java.util.function.Function<MemorySegment, T> call) { return device.withNativeQueue(call); }

    // ---------------------------------------------------------------- operations (one class per kind, as the CPU backend's Cpu* files)

    @Override public synchronized void copy(Tensor src, Tensor dst) { mine("copy", src, dst); GpuCopy.copy(launch, src, dst); }

    @Override public synchronized void fill(Tensor dst, double value) { mine("fill", dst); GpuCopy.fill(launch, dst, value); }

    @Override
    public synchronized void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) {
        mine("unary " + op, x, out);
        GpuElementwise.unary(launch, op, x, p0, p1, out);
    }

    @Override
    public synchronized void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        mine("binary " + op, a, b, out);
        GpuElementwise.binary(launch, op, a, b, out);
    }

    @Override public synchronized void reduce(Reduction r, Tensor x, Tensor out) { mine("reduce", x, out); GpuReduce.reduce(launch, r, x, out); }

    @Override public synchronized void softmax(Tensor x, Tensor out) { mine("softmax", x, out); GpuReduce.softmax(launch, x, out); }

    @Override
    public synchronized void layerNorm(RowNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        mine("layerNorm", x, w, b, out);
        GpuNorms.layerNorm(launch, dims, x, w, b, out);
    }

    @Override
    public synchronized void rmsNorm(RowNormDims dims, Tensor x, Tensor w, Tensor out) {
        mine("rmsNorm", x, w, out);
        GpuNorms.rmsNorm(launch, dims, x, w, out);
    }

    @Override
    public synchronized void modulatedLayerNorm(ModulationDims dims, Tensor x, Tensor shift, Tensor scale, Tensor out) {
        mine("modulatedLayerNorm", x, shift, scale, out);
        GpuNormFusion.modulatedLayerNorm(launch, dims, x, shift, scale, out);
    }

    @Override
    public synchronized void normBackward(NormBackwardDims dims, Tensor x, Tensor w, Tensor dOut, Tensor dx, Tensor dw, Tensor db) {
        mine("normBackward", x, w, dOut, dx, dw, db);
        GpuNormFusion.backward(launch, dims, x, w, dOut, dx, dw, db);
    }

    @Override
    public synchronized void groupNorm(GroupNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        mine("groupNorm", x, w, b, out);
        GpuNorms.groupNorm(launch, dims, x, w, b, out);
    }

    @Override
    public synchronized void rope(RopeTable table, Tensor x, Tensor out) {
        mine("rope", x, table.cos(), table.sin(), out);
        GpuRope.rope(launch, table, x, out);
    }

    @Override
    public synchronized void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate) {
        mine("matmul", a, b, out);
        GpuMatmul.matmul(launch, dims, a, b, out, accumulate);
    }

    @Override
    public synchronized void attention(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        mine("attention", q, k, v, keyMask, out, lse);
        GpuAttention.forward(launch, dims, q, k, v, keyMask, out, lse);
    }

    @Override
    public synchronized void attentionBackward(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                                               Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        mine("attentionBackward", q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
        GpuAttention.backward(launch, dims, q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
    }

    @Override
    public synchronized void conv2d(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor out) {
        mine("conv2d", x, w, bias, out);
        GpuConv.conv2d(launch, g, x, w, bias, out);
    }

    @Override
    public synchronized void conv2dBackwardInput(ConvGeometry g, Tensor dOut, Tensor w, Tensor dx) {
        mine("conv2dBackwardInput", dOut, w, dx);
        GpuConv.backwardInput(launch, g, dOut, w, dx);
    }

    @Override
    public synchronized void conv2dBackwardWeight(ConvGeometry g, Tensor x, Tensor dOut, Tensor dw) {
        mine("conv2dBackwardWeight", x, dOut, dw);
        GpuConv.backwardWeight(launch, g, x, dOut, dw);
    }

    @Override
    public synchronized void indexSelect(IndexAxis ix, Tensor x, Tensor index, Tensor out) {
        mine("indexSelect", x, index, out);
        GpuIndex.indexSelect(launch, ix, x, index, out);
    }

    @Override
    public synchronized void indexAdd(IndexAxis ix, Tensor dst, Tensor index, Tensor src) {
        mine("indexAdd", dst, index, src);
        GpuIndex.indexAdd(launch, ix, dst, index, src);
    }

    @Override
    public synchronized void adamwStep(AdamWStep step, Tensor param, Tensor grad, Tensor m, Tensor v) {
        mine("adamwStep", param, grad, m, v);
        GpuAdamW.step(launch, step, param, grad, m, v);
    }

    @Override public String toString() { return "GpuBackend[" + device.description() + "]"; }
}
