package flux2.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The memory behind one or more tensors: a segment and the backend that owns it.
 * For the CPU backend the segment is host memory (allocated or memory-mapped).
 */
public record Storage(Backend backend, MemorySegment segment, boolean readOnly) {
    public long byteSize() { return segment.byteSize(); }
}
