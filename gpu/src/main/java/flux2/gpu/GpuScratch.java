package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.Shapes;
import flux2.tensor.Storage;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Device temporaries of one operation, freed together when it ends. Cheaper than a tensor arena per call (no
 * shared memory scope to close); launches still queued may use the buffers, which the device allows.
 */
final class GpuScratch implements AutoCloseable {
    private final GpuBackend be;
    private final List<Long> buffers = new ArrayList<>();
    private long bytes;

    GpuScratch(GpuBackend be) { this.be = be; }

    /** A zero-filled contiguous tensor on the device. */
    Tensor tensor(DType dt, int... shape) {
        long size = Math.max(16, dt.bytesFor(Shapes.numel(shape)));
        // temporaries count against the device memory cap like tensors do
        be.reserve(size);
        long handle;
        try {
            handle = be.device().allocate(size);
        } catch (RuntimeException | Error e) {
            be.release(size);
            throw e;
        }
        buffers.add(handle);
        bytes += size;
        return new Tensor(new Storage(be, MemorySegment.ofAddress(handle), false), dt, shape, Shapes.contiguousStrides(shape), 0);
    }

    @Override
    public void close() {
        for (long h : buffers) be.device().free(h);
        buffers.clear();
        be.release(bytes);
        bytes = 0;
    }
}
