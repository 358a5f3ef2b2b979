package flux2.gpu.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import flux2.gpu.GpuDevice;
import flux2.gpu.KernelArgs;
import flux2.gpu.KernelSources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One OpenCL device with its own context, in-order queue and built kernel program. All calls are serialised;
 * the program is built once, when the device is opened, and its kernels are created on first use.
 */
public final class OpenClDevice implements GpuDevice {
    private final String name;
    private final String description;
    private final Kind kind;
    private final long memory;
    private final int maxLocal;
    private final MemorySegment device;
    private final MemorySegment context;
    private final MemorySegment queue;
    private final MemorySegment program;
    private final Map<String, MemorySegment> kernels = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    /** Argument slots reused across launches: clSetKernelArg copies the value at once. */
    private final MemorySegment argSlot = arena.allocate(8, 8);
    private final MemorySegment errSlot = arena.allocate(JAVA_INT);
    private final MemorySegment sizes = arena.allocate(JAVA_LONG, 6);
    private final MemorySegment zero = arena.allocate(8, 8);
    private boolean closed;

    OpenClDevice(int index, OpenClPlatforms.DeviceInfo info) {
        this(index, info, KernelSources.program());
    }

    /** A device whose program is {@code source} instead of the shared kernels (tests of other kernel files). */
    OpenClDevice(int index, OpenClPlatforms.DeviceInfo info, String source) {
        this.name = "opencl:" + index;
        this.device = info.device();
        this.kind = info.kind();
        this.memory = info.globalMemory();
        this.maxLocal = info.maxWorkGroupSize();
        this.description = info.describe();
        try {
            MemorySegment devs = arena.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            context = (MemorySegment) Cl.clCreateContext.invokeExact(MemorySegment.NULL, 1, devs, MemorySegment.NULL, MemorySegment.NULL, errSlot);
            Cl.check(errSlot.get(JAVA_INT, 0), "clCreateContext");
            queue = (MemorySegment) Cl.clCreateCommandQueue.invokeExact(context, device, 0L, errSlot);
            Cl.check(errSlot.get(JAVA_INT, 0), "clCreateCommandQueue");
            program = build(devs, source);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("OpenCL " + name + ": " + t, t);
        }
    }

    private MemorySegment build(MemorySegment devs, String src) throws Throwable {
        MemorySegment strings = arena.allocate(ADDRESS);
        strings.set(ADDRESS, 0, arena.allocateFrom(src));
        MemorySegment prog = (MemorySegment) Cl.clCreateProgramWithSource.invokeExact(context, 1, strings, MemorySegment.NULL, errSlot);
        Cl.check(errSlot.get(JAVA_INT, 0), "clCreateProgramWithSource");
        MemorySegment options = arena.allocateFrom("-cl-std=CL1.2");
        int err = (int) Cl.clBuildProgram.invokeExact(prog, 1, devs, options, MemorySegment.NULL, MemorySegment.NULL);
        if (err != Cl.SUCCESS) {
            String log = buildLog(prog);
            int ignored = (int) Cl.clReleaseProgram.invokeExact(prog);
            throw new IllegalStateException("OpenCL " + name + ": building the kernel program failed ("
                    + Cl.errorName(err) + "); build log:\n" + log);
        }
        return prog;
    }

    private String buildLog(MemorySegment prog) throws Throwable {
        MemorySegment size = arena.allocate(JAVA_LONG);
        int err = (int) Cl.clGetProgramBuildInfo.invokeExact(prog, device, Cl.PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
        if (err != Cl.SUCCESS) return "(no build log: " + Cl.errorName(err) + ")";
        MemorySegment text = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        err = (int) Cl.clGetProgramBuildInfo.invokeExact(prog, device, Cl.PROGRAM_BUILD_LOG, text.byteSize(), text, MemorySegment.NULL);
        return err == Cl.SUCCESS ? text.getString(0) : "(no build log: " + Cl.errorName(err) + ")";
    }

    @Override public String name() { return name; }

    @Override public String description() { return description; }

    @Override public Kind kind() { return kind; }

    @Override public long memoryBytes() { return memory; }

    @Override public int maxLocalSize() { return maxLocal; }

    private void open() {
        if (closed) throw new IllegalStateException("OpenCL device " + name + " is closed");
    }

    @Override
    public synchronized long allocate(long bytes) {
        open();
        try {
            long size = Math.max(bytes, 1);
            MemorySegment mem = (MemorySegment) Cl.clCreateBuffer.invokeExact(context, Cl.MEM_READ_WRITE, size, MemorySegment.NULL, errSlot);
            int err = errSlot.get(JAVA_INT, 0);
            if (err != Cl.SUCCESS)
                throw new IllegalStateException("OpenCL " + name + ": cannot allocate " + size + " bytes of device memory: " + Cl.errorName(err));
            zero.set(JAVA_LONG, 0, 0);
            err = (int) Cl.clEnqueueFillBuffer.invokeExact(queue, mem, zero, 1L, 0L, size, 0, MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(err, "clEnqueueFillBuffer");
            return mem.address();
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void free(long buffer) {
        if (closed) return;
        try {
            Cl.check((int) Cl.clReleaseMemObject.invokeExact(MemorySegment.ofAddress(buffer)), "clReleaseMemObject");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void upload(MemorySegment src, long srcOffset, long dst, long dstOffset, long bytes) {
        open();
        if (bytes == 0) return;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment from = src.isNative() ? src.asSlice(srcOffset, bytes) : tmp.allocate(bytes).copyFrom(src.asSlice(srcOffset, bytes));
            int err = (int) Cl.clEnqueueWriteBuffer.invokeExact(queue, MemorySegment.ofAddress(dst), 1, dstOffset, bytes, from,
                    0, MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(err, "clEnqueueWriteBuffer");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void download(long src, long srcOffset, MemorySegment dst, long dstOffset, long bytes) {
        open();
        if (bytes == 0) return;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment to = dst.isNative() ? dst.asSlice(dstOffset, bytes) : tmp.allocate(bytes);
            int err = (int) Cl.clEnqueueReadBuffer.invokeExact(queue, MemorySegment.ofAddress(src), 1, srcOffset, bytes, to,
                    0, MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(err, "clEnqueueReadBuffer");
            if (!dst.isNative()) dst.asSlice(dstOffset, bytes).copyFrom(to);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void copy(long src, long srcOffset, long dst, long dstOffset, long bytes) {
        open();
        if (bytes == 0) return;
        try {
            int err = (int) Cl.clEnqueueCopyBuffer.invokeExact(queue, MemorySegment.ofAddress(src), MemorySegment.ofAddress(dst),
                    srcOffset, dstOffset, bytes, 0, MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(err, "clEnqueueCopyBuffer");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized long kernel(String kernelName) {
        open();
        MemorySegment k = kernels.get(kernelName);
        if (k != null) return k.address();
        try {
            k = (MemorySegment) Cl.clCreateKernel.invokeExact(program, arena.allocateFrom(kernelName), errSlot);
            int err = errSlot.get(JAVA_INT, 0);
            if (err != Cl.SUCCESS)
                throw new IllegalArgumentException("OpenCL " + name + ": no kernel '" + kernelName + "' in the program (" + Cl.errorName(err) + ")");
            kernels.put(kernelName, k);
            return k.address();
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void launch(long kernel, long[] global, long[] local, KernelArgs args) {
        open();
        int dims = global.length;
        if (dims < 1 || dims > 3 || (local != null && local.length != dims))
            throw new IllegalArgumentException("launch: 1 to 3 dimensions with matching local sizes, got " + dims);
        try {
            MemorySegment k = MemorySegment.ofAddress(kernel);
            for (int i = 0; i < args.size(); i++) {
                long size;
                switch (args.kind(i)) {
                    case BUFFER -> { argSlot.set(ADDRESS, 0, MemorySegment.ofAddress(args.value(i))); size = 8; }
                    case INT -> { argSlot.set(JAVA_INT, 0, args.intValue(i)); size = 4; }
                    case LONG -> { argSlot.set(JAVA_LONG, 0, args.value(i)); size = 8; }
                    case FLOAT -> { argSlot.set(JAVA_FLOAT, 0, args.floatValue(i)); size = 4; }
                    default -> throw new IllegalStateException();
                }
                int err = (int) Cl.clSetKernelArg.invokeExact(k, i, size, argSlot);
                if (err != Cl.SUCCESS)
                    throw new IllegalStateException("OpenCL clSetKernelArg(" + i + ", " + args.kind(i) + ") failed: " + Cl.errorName(err));
            }
            for (int d = 0; d < dims; d++) {
                sizes.setAtIndex(JAVA_LONG, d, global[d]);
                sizes.setAtIndex(JAVA_LONG, 3 + d, local == null ? 0 : local[d]);
            }
            MemorySegment loc = local == null ? MemorySegment.NULL : sizes.asSlice(24, 24);
            int err = (int) Cl.clEnqueueNDRangeKernel.invokeExact(queue, k, dims, MemorySegment.NULL, sizes.asSlice(0, 24), loc,
                    0, MemorySegment.NULL, MemorySegment.NULL);
            Cl.check(err, "clEnqueueNDRangeKernel");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void finish() {
        if (closed) return;
        try {
            Cl.check((int) Cl.clFinish.invokeExact(queue), "clFinish");
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The in-order command queue (a cl_command_queue), for libraries that enqueue on it. */
    @Override
    public synchronized <T> T withNativeQueue(java.util.function.Function<MemorySegment, T> call) {
        if (closed) throw new IllegalStateException(name + " is closed");
        return call.apply(queue);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        try {
            int ignored = (int) Cl.clFinish.invokeExact(queue);
            for (MemorySegment k : kernels.values()) ignored = (int) Cl.clReleaseKernel.invokeExact(k);
            kernels.clear();
            ignored = (int) Cl.clReleaseProgram.invokeExact(program);
            ignored = (int) Cl.clReleaseCommandQueue.invokeExact(queue);
            ignored = (int) Cl.clReleaseContext.invokeExact(context);
        } catch (Throwable t) {
            throw new IllegalStateException("OpenCL " + name + ": release failed: " + t, t);
        } finally {
            closed = true;
            arena.close();
        }
    }

    @Override public String toString() { return name + " (" + description + ")"; }

}
