package flux2.gpu.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * FFM bindings to the CUDA driver API in {@code libcuda.so.1}. Every call checks its CUresult and throws
 * {@link CudaException} with the driver's error name. Handles (contexts, modules, functions, streams, events)
 * are {@link MemorySegment} addresses; device pointers are {@code long}s.
 */
public final class CudaDriver {
    /** CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT. */
    public static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR. */
    public static final int ATTR_CC_MAJOR = 75;
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR. */
    public static final int ATTR_CC_MINOR = 76;
    private static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    private static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    private static final int CU_STREAM_NON_BLOCKING = 1;

    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lib;
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceTotalMem, cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuModuleLoadDataEx, cuModuleGetFunction, cuModuleUnload,
            cuLaunchKernel, cuMemAlloc, cuMemFree, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync,
            cuMemcpyDtoDAsync, cuMemsetD8Async, cuMemGetInfo, cuStreamCreate,
            cuStreamSynchronize, cuStreamDestroy, cuEventCreate, cuEventRecord, cuEventSynchronize,
            cuEventElapsedTime, cuEventDestroy, cuGetErrorName;
    /** Stream-ordered allocation (CUDA 11.2+); null on older drivers. */
    private final MethodHandle cuMemAllocAsync, cuMemFreeAsync;

    private CudaDriver(SymbolLookup lib) {
        this.lib = lib;
        cuGetErrorName = h("cuGetErrorName", JAVA_INT, ADDRESS);
        cuInit = h("cuInit", JAVA_INT);
        cuDriverGetVersion = h("cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = h("cuDeviceGetCount", ADDRESS);
        cuDeviceGet = h("cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = h("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = h("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDeviceGetAttribute = h("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = h("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = h("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = h("cuCtxSetCurrent", ADDRESS);
        cuModuleLoadDataEx = h("cuModuleLoadDataEx", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        cuModuleGetFunction = h("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuModuleUnload = h("cuModuleUnload", ADDRESS);
        cuLaunchKernel = h("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        cuMemAlloc = h("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = h("cuMemFree_v2", JAVA_LONG);
        cuMemcpyHtoDAsync = h("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        cuMemcpyDtoHAsync = h("cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemcpyDtoDAsync = h("cuMemcpyDtoDAsync_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);
        cuMemsetD8Async = h("cuMemsetD8Async", JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS);
        cuMemGetInfo = h("cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuStreamCreate = h("cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamSynchronize = h("cuStreamSynchronize", ADDRESS);
        cuStreamDestroy = h("cuStreamDestroy_v2", ADDRESS);
        cuEventCreate = h("cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = h("cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = h("cuEventSynchronize", ADDRESS);
        cuEventElapsedTime = h("cuEventElapsedTime", ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = h("cuEventDestroy_v2", ADDRESS);
        cuMemAllocAsync = lib.find("cuMemAllocAsync").isPresent() ? h("cuMemAllocAsync", ADDRESS, JAVA_LONG, ADDRESS) : null;
        cuMemFreeAsync = lib.find("cuMemFreeAsync").isPresent() ? h("cuMemFreeAsync", JAVA_LONG, ADDRESS) : null;
    }

    /**
     * Loads the driver library (libcuda.so.1, or the file named by the system property flux2.cuda.library,
     * for drivers outside the linker's path such as WSL's /usr/lib/wsl/lib) and calls cuInit. Throws {@link CudaUnavailableException} with a one-line reason
     * when the library is absent or has no usable device.
     */
    public static CudaDriver load() {
        return load(System.getProperty("flux2.cuda.library", "libcuda.so.1"));
    }

    /** Loads the driver from {@code library} (a name the dynamic linker searches, or a path), then cuInit. */
    public static CudaDriver load(String library) {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new CudaUnavailableException("no NVIDIA driver (" + library + " cannot be loaded)");
        } catch (IllegalCallerException e) {
            throw new CudaUnavailableException("native access is disabled (run with --enable-native-access=ALL-UNNAMED)");
        }
        CudaDriver d;
        try {
            d = new CudaDriver(lib);
        } catch (java.util.NoSuchElementException e) {
            throw new CudaUnavailableException(library + " is too old: " + e.getMessage());
        }
        int rc = d.call(d.cuInit, 0);
        if (rc != 0) throw new CudaUnavailableException("cuInit failed: " + d.errorName(rc));
        return d;
    }

    private MethodHandle h(String name, MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new java.util.NoSuchElementException("missing " + name));
        return linker.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, args));
    }

    private int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void check(String what, MethodHandle h, Object... args) {
        int rc = call(h, args);
        if (rc != 0) throw new CudaException(what, rc, errorName(rc));
    }

    /** The driver's name for a CUresult, such as CUDA_ERROR_OUT_OF_MEMORY. */
    public String errorName(int rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            if (call(cuGetErrorName, rc, p) != 0) return "CUresult " + rc;
            return p.get(ADDRESS, 0).reinterpret(256).getString(0, StandardCharsets.US_ASCII);
        }
    }

    /** Driver version as 1000*major + 10*minor. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check("cuDriverGetVersion", cuDriverGetVersion, p);
            return p.get(JAVA_INT, 0);
        }
    }

    public int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check("cuDeviceGetCount", cuDeviceGetCount, p);
            return p.get(JAVA_INT, 0);
        }
    }

    /** The CUdevice handle of an ordinal. */
    public int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check("cuDeviceGet", cuDeviceGet, p, ordinal);
            return p.get(JAVA_INT, 0);
        }
    }

    public String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(256);
            check("cuDeviceGetName", cuDeviceGetName, p, 256, dev);
            return p.getString(0, StandardCharsets.US_ASCII);
        }
    }

    public long deviceTotalMemory(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check("cuDeviceTotalMem", cuDeviceTotalMem, p, dev);
            return p.get(JAVA_LONG, 0);
        }
    }

    public int deviceAttribute(int dev, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check("cuDeviceGetAttribute", cuDeviceGetAttribute, p, attribute, dev);
            return p.get(JAVA_INT, 0);
        }
    }

    /** Retains the device's primary context and makes it current on this thread. */
    public MemorySegment retainPrimaryContext(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain, p, dev);
            MemorySegment ctx = p.get(ADDRESS, 0);
            setCurrent(ctx);
            return ctx;
        }
    }

    public void releasePrimaryContext(int dev) { check("cuDevicePrimaryCtxRelease", cuDevicePrimaryCtxRelease, dev); }

    /** Binds a context to the calling thread (the driver's current context is per thread). */
    public void setCurrent(MemorySegment ctx) { check("cuCtxSetCurrent", cuCtxSetCurrent, ctx); }

    /** [free, total] bytes of the current context's device. */
    public long[] memoryInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check("cuMemGetInfo", cuMemGetInfo, f, t);
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        }
    }

    /** Loads a NUL-terminated PTX image (JIT-compiled by the driver); the JIT error log goes into the exception. */
    public MemorySegment loadModule(String name, byte[] ptx) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocate(ptx.length + 1L);
            MemorySegment.copy(ptx, 0, image, JAVA_BYTE, 0, ptx.length);
            int logSize = 16384;
            MemorySegment log = a.allocate(logSize);
            MemorySegment opts = a.allocate(JAVA_INT, 2);
            opts.setAtIndex(JAVA_INT, 0, CU_JIT_ERROR_LOG_BUFFER);
            opts.setAtIndex(JAVA_INT, 1, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            MemorySegment vals = a.allocate(ADDRESS, 2);
            vals.setAtIndex(ADDRESS, 0, log);
            // The driver reads a size option from the pointer-sized slot itself, not through it.
            vals.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logSize));
            MemorySegment p = a.allocate(ADDRESS);
            int rc = call(cuModuleLoadDataEx, p, image, 2, opts, vals);
            if (rc != 0) {
                String msg = log.getString(0, StandardCharsets.US_ASCII).strip();
                throw new CudaException("cuModuleLoadData(" + name + ")" + (msg.isEmpty() ? "" : ": " + msg),
                        rc, errorName(rc));
            }
            return p.get(ADDRESS, 0);
        }
    }

    public void unloadModule(MemorySegment module) { check("cuModuleUnload", cuModuleUnload, module); }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cuModuleGetFunction(" + name + ")", cuModuleGetFunction, p, module, a.allocateFrom(name));
            return p.get(ADDRESS, 0);
        }
    }

    /**
     * Launches fn on a grid of blocks. {@code params} is a native array of pointers, one per kernel parameter,
     * each pointing to that parameter's value (the driver copies the values before returning).
     */
    public void launch(MemorySegment fn, int[] grid, int[] block, int sharedBytes, MemorySegment stream,
                       MemorySegment params) {
        int rc;
        try {
            // invokeExact: this is the per-op hot path, so no boxing of the eleven arguments.
            rc = (int) cuLaunchKernel.invokeExact(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                    sharedBytes, stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (rc != 0) throw new CudaException("cuLaunchKernel", rc, errorName(rc));
    }

    public long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check("cuMemAlloc(" + bytes + " bytes)", cuMemAlloc, p, bytes);
            return p.get(JAVA_LONG, 0);
        }
    }

    public void free(long ptr) { check("cuMemFree", cuMemFree, ptr); }

    /** Whether the driver has stream-ordered allocation (cuMemAllocAsync / cuMemFreeAsync). */
    public boolean hasStreamOrderedAllocation() { return cuMemAllocAsync != null && cuMemFreeAsync != null; }

    /** Memory that becomes usable in stream order (no device-wide synchronisation, unlike cuMemAlloc). */
    public long mallocAsync(long bytes, MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check("cuMemAllocAsync(" + bytes + " bytes)", cuMemAllocAsync, p, bytes, stream);
            return p.get(JAVA_LONG, 0);
        }
    }

    /** Frees once the work queued before it on {@code stream} is done; the call does not wait for it. */
    public void freeAsync(long ptr, MemorySegment stream) { check("cuMemFreeAsync", cuMemFreeAsync, ptr, stream); }

    public void copyHtoD(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        check("cuMemcpyHtoD", cuMemcpyHtoDAsync, dst, src, bytes, stream);
    }

    public void copyDtoH(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoH", cuMemcpyDtoHAsync, dst, src, bytes, stream);
    }

    public void copyDtoD(long dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoD", cuMemcpyDtoDAsync, dst, src, bytes, stream);
    }

    public void memsetD8(long dst, byte value, long count, MemorySegment stream) {
        check("cuMemsetD8", cuMemsetD8Async, dst, value, count, stream);
    }

    /** A stream that does not synchronize with the legacy default stream. */
    public MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cuStreamCreate", cuStreamCreate, p, CU_STREAM_NON_BLOCKING);
            return p.get(ADDRESS, 0);
        }
    }

    public void synchronize(MemorySegment stream) { check("cuStreamSynchronize", cuStreamSynchronize, stream); }

    public void destroyStream(MemorySegment stream) { check("cuStreamDestroy", cuStreamDestroy, stream); }

    public MemorySegment createEvent() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cuEventCreate", cuEventCreate, p, 0);
            return p.get(ADDRESS, 0);
        }
    }

    public void record(MemorySegment event, MemorySegment stream) { check("cuEventRecord", cuEventRecord, event, stream); }

    public void synchronizeEvent(MemorySegment event) { check("cuEventSynchronize", cuEventSynchronize, event); }

    /** Milliseconds between two recorded, completed events. */
    public float elapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_FLOAT);
            check("cuEventElapsedTime", cuEventElapsedTime, p, start, end);
            return p.get(JAVA_FLOAT, 0);
        }
    }

    public void destroyEvent(MemorySegment event) { check("cuEventDestroy", cuEventDestroy, event); }
}
