package flux2.tensor.io;

import flux2.tensor.Tensor;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Named tensors read from a checkpoint: one safetensors file, a sharded checkpoint, or a folder of files.
 * Tensors are read-only views of memory-mapped files, valid until the source is closed.
 */
public interface TensorSource extends AutoCloseable {
    /** The file or folder this source reads, for messages. */
    String describe();

    /** Tensor names, sorted. */
    List<String> names();

    boolean contains(String name);

    /** Dtype, shape and byte range of a tensor, without reading its data. */
    TensorInfo info(String name) throws IOException;

    /** A read-only CPU view of the tensor's bytes in the mapped file (no copy). */
    Tensor tensor(String name) throws IOException;

    /** The string-to-string metadata ({@code __metadata__}, or the index's {@code metadata}). */
    Map<String, String> metadata();

    /** Unmaps every file; tensors obtained from this source become unusable. */
    @Override
    void close();
}
