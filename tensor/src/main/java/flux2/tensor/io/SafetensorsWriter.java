package flux2.tensor.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors and metadata as a safetensors file, atomically ({@link AtomicFiles}): the bytes go to a temporary
 * file in the target's folder, which is flushed to disk and then renamed over the target, so readers see either the
 * old file or the complete new one. On failure the temporary file is removed and the target is untouched.
 *
 * <p>Tensors may have any strides; they are written contiguous, row-major, little-endian. The layout is the
 * reference implementation's: {@code __metadata__} first in the header (omitted when empty, entries in the map's
 * order), tensors ordered by dtype (I64, F32, I32, BF16, F16, I8, U8, BOOL) and then by name, and the header
 * padded with spaces to a multiple of 8 bytes, so that every tensor starts at a multiple of its element size.
 */
public final class SafetensorsWriter {
    /** Bytes of a strided tensor staged in memory at a time. */
    private static final long STAGING_BYTES = 64L << 20;
    /** Largest single channel write (ByteBuffers are int-indexed). */
    private static final long WRITE_CHUNK = 1L << 30;

    /**
     * Dtype order of the reference implementation (its dtype enum, descending): larger elements first, so that
     * every tensor starts at a multiple of its element size.
     */
    private static final List<DType> FILE_ORDER = List.of(DType.I64, DType.F32, DType.I32, DType.BF16, DType.F16, DType.I8, DType.U8, DType.BOOL);

    private SafetensorsWriter() {}

    /** Writes {@code tensors} without metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (CPU tensors of any non-packed dtype) and {@code metadata} to {@code file},
     * replacing it atomically if it exists.
     *
     * @throws IllegalArgumentException for a tensor that cannot be stored (name, dtype, backend)
     * @throws SafetensorsException if the file cannot be written
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, STAGING_BYTES);
    }

    /** As {@link #write(Path, Map, Map)}, staging strided tensors {@code stagingBytes} at a time (tests use small values). */
    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, long stagingBytes) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new SafetensorsException(file, "safetensors data is little-endian and this host is not");
        List<Map.Entry<String, Tensor>> entries = ordered(tensors);
        byte[] header = header(entries, metadata == null ? Map.of() : metadata);

        try {
            AtomicFiles.write(file, ch -> {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeAll(ch, len);
                writeAll(ch, ByteBuffer.wrap(header));
                for (Map.Entry<String, Tensor> e : entries) writeTensor(ch, e.getValue(), stagingBytes);
            });
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot write: " + e, e);
        }
    }

    private static List<Map.Entry<String, Tensor>> ordered(Map<String, Tensor> tensors) {
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor names must be non-empty");
            if (name.equals(SafetensorsHeader.METADATA_KEY))
                throw new IllegalArgumentException("'" + SafetensorsHeader.METADATA_KEY + "' is reserved and cannot name a tensor");
            if (t == null) throw new IllegalArgumentException("tensor '" + name + "' is null");
            if (SafetensorsHeader.dtype(t.dtype().safetensorsName()) != t.dtype())
                throw new IllegalArgumentException("tensor '" + name + "' has dtype " + t.dtype() + ", which safetensors cannot store");
            if (!t.backend().isHost()) t = t.to(Backends.cpu());  // a device tensor is written from a host copy
            entries.add(Map.entry(name, t));
        }
        entries.sort(Comparator.<Map.Entry<String, Tensor>>comparingInt(e -> FILE_ORDER.indexOf(e.getValue().dtype()))
                .thenComparing(Map.Entry::getKey));
        return entries;
    }

    private static byte[] header(List<Map.Entry<String, Tensor>> entries, Map<String, String> metadata) throws IOException {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach((k, v) -> {
                if (k == null || v == null) throw new IllegalArgumentException("metadata keys and values must be non-null: " + k + "=" + v);
                m.put(k, v);
            });
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : entries) {
            Tensor t = e.getValue();
            long bytes = Math.multiplyExact(t.numel(), (long) t.dtype().byteSize());
            ObjectNode n = root.putObject(e.getKey());
            n.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = n.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            n.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = SafetensorsHeader.JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsHeader.MAX_HEADER_BYTES)
            throw new IllegalArgumentException("header of " + json.length + " bytes exceeds the safetensors limit of " + SafetensorsHeader.MAX_HEADER_BYTES);
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeTensor(FileChannel ch, Tensor t, long stagingBytes) throws IOException {
        long bytes = t.dtype().bytesFor(t.numel());
        if (bytes == 0) return;
        if (t.isContiguous()) {
            writeSegment(ch, t.segment().asSlice(t.byteOffset(), bytes));
            return;
        }
        // Strided (permuted, narrowed, expanded): stage blocks of rows of axis 0 in a contiguous buffer.
        int rows = t.size(0);
        long rowBytes = bytes / rows;
        int perBlock = (int) Math.max(1, Math.min(rows, stagingBytes / rowBytes));
        int[] blockShape = t.shape();
        blockShape[0] = perBlock;
        try (TensorArena staging = TensorArena.create("safetensors-write")) {
            Tensor buf = Tensor.allocate(Backends.cpu(), t.dtype(), blockShape, staging);
            for (int r = 0; r < rows; r += perBlock) {
                int n = Math.min(perBlock, rows - r);
                Backends.cpu().copy(t.narrow(0, r, n), buf.narrow(0, 0, n));
                writeSegment(ch, buf.segment().asSlice(0, n * rowBytes));
            }
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment seg) throws IOException {
        for (long pos = 0; pos < seg.byteSize(); pos += WRITE_CHUNK)
            writeAll(ch, seg.asSlice(pos, Math.min(WRITE_CHUNK, seg.byteSize() - pos)).asByteBuffer());
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
