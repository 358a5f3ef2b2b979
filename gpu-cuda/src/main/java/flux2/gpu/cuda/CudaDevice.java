package flux2.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import flux2.gpu.GpuDevice;
import flux2.gpu.KernelArgs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One NVIDIA GPU through the CUDA driver: its primary context, one stream that orders every copy and launch,
 * and the kernel modules loaded from the PTX shipped in the jar ({@link CudaPtx}).
 */
public final class CudaDevice implements GpuDevice {
    private static final int MAX_ARGS = 96;
    private static final int CUDA_ERROR_NOT_FOUND = 500;
    /** CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED. */
    private static final int ATTR_MEMORY_POOLS_SUPPORTED = 115;

    private final CudaDriver cu;
    private final int ordinal;
    private final int dev;
    private final MemorySegment ctx;
    private final MemorySegment stream;
    private final String deviceName;
    private final long totalMemory;
    private final int ccMajor;
    private final int ccMinor;
    private final int multiprocessors;
    private final List<MemorySegment> modules = new ArrayList<>();
    private final Map<String, Long> kernels = new HashMap<>();
    private final Set<Long> buffers = new LinkedHashSet<>();
    private final Arena argArena = Arena.ofShared();
    private final MemorySegment argValues = argArena.allocate(8L * MAX_ARGS, 8);
    private final MemorySegment argPointers = argArena.allocate(ADDRESS, MAX_ARGS);
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> false);
    private final boolean streamOrdered;
    private boolean closed;

    /** Opens device {@code ordinal} and loads the kernel modules that fit its compute capability. */
    public CudaDevice(CudaDriver cu, int ordinal) {
        this.cu = cu;
        this.ordinal = ordinal;
        int count = cu.deviceCount();
        if (ordinal < 0 || ordinal >= count)
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist (this machine has " + count
                    + " CUDA device" + (count == 1 ? "" : "s") + ")");
        this.dev = cu.device(ordinal);
        this.deviceName = cu.deviceName(dev);
        this.totalMemory = cu.deviceTotalMemory(dev);
        this.ccMajor = cu.deviceAttribute(dev, CudaDriver.ATTR_CC_MAJOR);
        this.ccMinor = cu.deviceAttribute(dev, CudaDriver.ATTR_CC_MINOR);
        this.multiprocessors = cu.deviceAttribute(dev, CudaDriver.ATTR_MULTIPROCESSOR_COUNT);
        this.ctx = cu.retainPrimaryContext(dev);
        bound.set(true);
        this.stream = cu.createStream();
        this.streamOrdered = cu.hasStreamOrderedAllocation()
                && cu.deviceAttribute(dev, ATTR_MEMORY_POOLS_SUPPORTED) != 0;
        for (CudaPtx.Module m : CudaPtx.modulesFor(ccMajor * 10 + ccMinor))
            modules.add(cu.loadModule(m.resource(), m.ptx()));
    }

    @Override public String name() { return "cuda:" + ordinal; }

    @Override
    public String description() {
        int v = cu.driverVersion();
        return deviceName + ", sm_" + ccMajor + ccMinor + ", " + multiprocessors + " SMs, CUDA driver "
                + v / 1000 + "." + (v % 1000) / 10;
    }

    @Override public Kind kind() { return Kind.GPU; }

    @Override public long memoryBytes() { return totalMemory; }

    @Override public int maxLocalSize() { return 1024; }

    /** Compute capability as 10 * major + minor (90 for sm_90). */
    public int computeCapability() { return ccMajor * 10 + ccMinor; }

    /** Whether the tensor-core (mma.sync bf16) kernels can run here. */
    public boolean hasBf16TensorCores() { return computeCapability() >= 80; }

    // The driver's current context is per thread; bind ours once on every thread that calls in.
    private void bind() {
        if (closed) throw new IllegalStateException(name() + " is closed");
        if (!bound.get()) {
            cu.setCurrent(ctx);
            bound.set(true);
        }
    }

    @Override
    public synchronized long allocate(long bytes) {
        bind();
        long size = Math.max(1, bytes);
        long p = streamOrdered ? cu.mallocAsync(size, stream) : cu.malloc(size);
        cu.memsetD8(p, (byte) 0, size, stream);
        buffers.add(p);
        return p;
    }

    @Override
    public synchronized void free(long buffer) {
        bind();
        if (!buffers.remove(buffer)) throw new IllegalArgumentException("not a buffer of " + name() + ": " + buffer);
        // Launches still queued may use the buffer: the stream-ordered free runs after them without blocking;
        // plain cuMemFree synchronises the device first.
        if (streamOrdered) cu.freeAsync(buffer, stream);
        else cu.free(buffer);
    }

    @Override
    public synchronized void upload(MemorySegment src, long srcOffset, long dst, long dstOffset, long bytes) {
        if (bytes == 0) return;
        bind();
        if (src.isNative()) {
            // From pageable memory the call returns once the source has been staged, so src may be reused.
            cu.copyHtoD(dst + dstOffset, src.asSlice(srcOffset, bytes), bytes, stream);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(bytes, 16);
                MemorySegment.copy(src, srcOffset, tmp, 0, bytes);
                cu.copyHtoD(dst + dstOffset, tmp, bytes, stream);
                cu.synchronize(stream);
            }
        }
    }

    @Override
    public synchronized void download(long src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        if (bytes == 0) return;
        bind();
        if (dst.isNative()) {
            cu.copyDtoH(dst.asSlice(dstOffset, bytes), src + srcOffset, bytes, stream);
            cu.synchronize(stream);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(bytes, 16);
                cu.copyDtoH(tmp, src + srcOffset, bytes, stream);
                cu.synchronize(stream);
                MemorySegment.copy(tmp, 0, dst, dstOffset, bytes);
            }
        }
    }

    @Override
    public synchronized void copy(long src, long srcOffset, long dst, long dstOffset, long bytes) {
        if (bytes == 0) return;
        bind();
        cu.copyDtoD(dst + dstOffset, src + srcOffset, bytes, stream);
    }

    @Override
    public synchronized long kernel(String name) {
        Long k = kernels.get(name);
        if (k != null) return k;
        bind();
        for (MemorySegment m : modules) {
            try {
                long fn = cu.function(m, name).address();
                kernels.put(name, fn);
                return fn;
            } catch (CudaException e) {
                if (e.code() != CUDA_ERROR_NOT_FOUND) throw e;
            }
        }
        throw new IllegalArgumentException("no kernel '" + name + "' in the PTX modules of " + name());
    }

    @Override
    public synchronized void launch(long kernel, long[] global, long[] local, KernelArgs args) {
        bind();
        int dims = global.length;
        if (dims < 1 || dims > 3) throw new IllegalArgumentException("launch with " + dims + " dimensions");
        long[] block = local != null ? local : defaultBlock(dims);
        int[] grid = {1, 1, 1};
        int[] threads = {1, 1, 1};
        for (int d = 0; d < dims; d++) {
            if (local != null && global[d] % local[d] != 0)
                throw new IllegalArgumentException("global size " + global[d] + " is not a multiple of local size "
                        + local[d] + " in dimension " + d);
            long g = (global[d] + block[d] - 1) / block[d];
            if (g > (d == 0 ? Integer.MAX_VALUE : 65535))
                throw new IllegalArgumentException("launch grid of " + g + " blocks in dimension " + d);
            grid[d] = (int) Math.max(1, g);
            threads[d] = (int) block[d];
        }
        int n = args.size();
        if (n > MAX_ARGS) throw new IllegalArgumentException("a launch with " + n + " arguments (at most " + MAX_ARGS + ")");
        for (int i = 0; i < n; i++) {
            long off = 8L * i;
            switch (args.kind(i)) {
                case BUFFER, LONG -> argValues.set(JAVA_LONG, off, args.value(i));
                case INT -> argValues.set(JAVA_INT, off, args.intValue(i));
                case FLOAT -> argValues.set(JAVA_FLOAT, off, args.floatValue(i));
            }
            argPointers.setAtIndex(ADDRESS, i, argValues.asSlice(off, 8));
        }
        cu.launch(MemorySegment.ofAddress(kernel), grid, threads, 0, stream, argPointers);
    }

    private static long[] defaultBlock(int dims) {
        return switch (dims) {
            case 1 -> new long[] {256};
            case 2 -> new long[] {16, 16};
            default -> new long[] {16, 16, 1};
        };
    }

    @Override
    public synchronized void finish() {
        bind();
        cu.synchronize(stream);
    }

    /** Whether the stream has run everything queued on it (cuStreamQuery), without waiting. */
    @Override
    public synchronized boolean isIdle() {
        bind();
        return cu.isIdle(stream);
    }

    /** The stream (a CUstream) with the device's context current on the calling thread: NCCL enqueues its kernels there. */
    @Override
    public synchronized <T> T withNativeQueue(java.util.function.Function<MemorySegment, T> call) {
        bind();
        return call.apply(stream);
    }

    /** Milliseconds the device spends on {@code work} (events recorded on the stream around it). */
    public synchronized float timeMillis(Runnable work) {
        bind();
        MemorySegment start = cu.createEvent(), end = cu.createEvent();
        try {
            cu.record(start, stream);
            work.run();
            cu.record(end, stream);
            cu.synchronizeEvent(end);
            return cu.elapsedMillis(start, end);
        } finally {
            cu.destroyEvent(start);
            cu.destroyEvent(end);
        }
    }

    /** [free, total] bytes as the driver reports them now. */
    public synchronized long[] memoryInfo() {
        bind();
        return cu.memoryInfo();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        bind();
        cu.synchronize(stream);
        for (long p : buffers) {
            if (streamOrdered) cu.freeAsync(p, stream);
            else cu.free(p);
        }
        cu.synchronize(stream);
        buffers.clear();
        for (MemorySegment m : modules) cu.unloadModule(m);
        modules.clear();
        kernels.clear();
        cu.destroyStream(stream);
        cu.releasePrimaryContext(dev);
        argArena.close();
        closed = true;
    }
}
