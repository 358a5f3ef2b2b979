package flux2.gpu;

import java.lang.foreign.MemorySegment;

/**
 * What a GPU driver (OpenCL, CUDA, ...) provides to {@link GpuBackend}: device memory as opaque handles,
 * transfers, and launches of the kernels in {@link KernelSources}.
 *
 * <p>Ordering: every call is issued on one in-order queue (stream), so launches and copies run in call order.
 * {@link #download} returns once the data is in host memory; {@link #upload} returns once the host memory may
 * be reused. Launch contract: {@code global} and {@code local} have 1 to 3 entries; when {@code local} is
 * given, {@code global[i]} is a multiple of {@code local[i]}; when it is null the driver picks a local size
 * and may round {@code global} up (kernels check their bounds). Work-item i of dimension d sees
 * {@code get_global_id(d) = group * local + local id}, as in OpenCL. {@link GpuBackend} always passes local
 * sizes (at most 256 work-items, powers of two for the reduction kernels), and keeps dimensions 1 and 2 to
 * batch counts (heads times batch), well inside CUDA's grid limits.
 *
 * <p>Kernel parameters follow the OpenCL C signatures in {@link KernelSources}: a buffer is a device
 * pointer, {@code int} 32 bits, {@code long} 64 bits, {@code float} 32 bits. Kernels use only static
 * {@code __local} arrays (no local-memory arguments), so a CUDA driver needs no dynamic shared memory.
 */
public interface GpuDevice extends AutoCloseable {
    /** Broad class of the device, for choosing kernel variants. */
    enum Kind { CPU, GPU, ACCELERATOR }

    /** Short name such as "opencl:0" or "cuda:0". */
    String name();

    /** One line: vendor, device name, driver version. */
    String description();

    Kind kind();

    /** Global memory in bytes. */
    long memoryBytes();

    /** Largest work-group (block) size of a launch. */
    int maxLocalSize();

    /** A zero-filled device buffer of {@code bytes} bytes (at least 1); the handle is never 0. */
    long allocate(long bytes);

    /**
     * Frees a buffer from {@link #allocate}. Launches that use it may still be queued: the driver defers the
     * release until they have run (OpenCL does so itself; a stream-ordered free does it on CUDA).
     */
    void free(long buffer);

    /** Copies {@code bytes} bytes from host {@code src} at {@code srcOffset} into {@code dst} at {@code dstOffset}. */
    void upload(MemorySegment src, long srcOffset, long dst, long dstOffset, long bytes);

    /** Copies {@code bytes} bytes from {@code src} at {@code srcOffset} into host {@code dst} at {@code dstOffset}. */
    void download(long src, long srcOffset, MemorySegment dst, long dstOffset, long bytes);

    /** Device-to-device copy of {@code bytes} bytes (byte offsets). */
    void copy(long src, long srcOffset, long dst, long dstOffset, long bytes);

    /** The kernel called {@code name} in the kernel program; an error naming it if there is none. */
    long kernel(String name);

    /** Enqueues one launch of {@code kernel} with the arguments in order. */
    void launch(long kernel, long[] global, long[] local, KernelArgs args);

    /** Waits until everything enqueued has finished. */
    void finish();

    /** Whether everything enqueued has finished, without waiting where the driver can tell (this default waits). */
    default boolean isIdle() {
        finish();
        return true;
    }

    /** Calls {@code call} with the device's native queue and context bound to the calling thread (see Backend#withNativeQueue). */
    default <T> T withNativeQueue(java.util.function.Function<MemorySegment, T> call) { return call.apply(MemorySegment.NULL); }

    /** Releases every handle of the device (buffers still allocated are freed with it). */
    @Override void close();
}
