package flux2.tensor.io;

import flux2.tensor.Backends;
import flux2.tensor.MemoryStats;
import flux2.tensor.Shapes;
import flux2.tensor.Storage;
import flux2.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, memory-mapped read-only. The header is validated before anything is mapped or
 * trusted, by the reference implementation's rules (UTF-8 JSON; every tensor's bytes match its shape and dtype;
 * sorted by offset they begin at 0, follow each other without gaps or overlaps and end where the file ends);
 * tensors are created on request as read-only views of the mapping, never copied.
 *
 * <p>Layout: an unsigned little-endian 64-bit header length N, N bytes of JSON, then the data section.
 * Closing the file unmaps it; tensors obtained from it must not be used afterwards.
 */
public final class SafetensorsFile implements TensorSource {
    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private final List<String> names;
    private final Arena arena;
    private final MemorySegment data;
    private final long mappedBytes;
    private volatile boolean closed;

    private SafetensorsFile(Path path, SafetensorsHeader.Parsed header, Arena arena, MemorySegment data, long mappedBytes) {
        this.path = path;
        this.metadata = header.metadata();
        this.tensors = header.tensors();
        this.names = List.copyOf(tensors.keySet());
        this.arena = arena;
        this.data = data;
        this.mappedBytes = mappedBytes;
    }

    /**
     * Opens and validates {@code file}.
     *
     * @throws SafetensorsException if the file is missing, unreadable or not a valid safetensors file;
     *         the message names the file and the problem
     */
    public static SafetensorsFile open(Path file) throws SafetensorsException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new SafetensorsException(file, "safetensors data is little-endian and this host is not");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw new SafetensorsException(file, "file is " + size + " bytes, too short for the 8-byte header length");
            long n = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES)
                throw new SafetensorsException(file, "declared header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
            if (n > size - 8)
                throw new SafetensorsException(file, "declared header length " + n + " runs past the end of the file ("
                        + size + " bytes; truncated?)");
            byte[] json = readFully(ch, 8, (int) n).array();
            long dataStart = 8 + n;
            SafetensorsHeader.Parsed header = SafetensorsHeader.parse(file, json, size - dataStart);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment whole = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                MemoryStats.mapped(size);
                return new SafetensorsFile(file, header, arena, whole.asSlice(dataStart), size);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file, "no such file", e);
        } catch (IOException e) {
            throw new SafetensorsException(file, "cannot read: " + e, e);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(count);
        while (b.hasRemaining()) {
            int r = ch.read(b, position + b.position());
            if (r < 0) throw new IOException("unexpected end of file at byte " + (position + b.position()));
        }
        return b.flip();
    }

    public Path path() { return path; }

    @Override
    public String describe() { return path.toString(); }

    @Override
    public List<String> names() { return names; }

    @Override
    public boolean contains(String name) { return tensors.containsKey(name); }

    @Override
    public TensorInfo info(String name) throws SafetensorsException {
        TensorInfo t = tensors.get(name);
        if (t == null) throw SafetensorsException.tensor(path, name, "no such tensor in this file");
        return t;
    }

    /** All tensor headers, by name. */
    public Map<String, TensorInfo> infos() { return tensors; }

    @Override
    public Tensor tensor(String name) throws SafetensorsException {
        TensorInfo t = info(name);
        if (closed) throw new IllegalStateException(path + " is closed");
        int[] shape = t.intShape();
        if (shape == null)
            throw SafetensorsException.tensor(path, name, "dimension of shape " + Arrays.toString(t.shape()) + " exceeds " + Integer.MAX_VALUE);
        // Each tensor gets its own slice so that its element offset is 0 even when its bytes start unaligned.
        MemorySegment bytes = data.asSlice(t.begin(), t.byteSize());
        return new Tensor(new Storage(Backends.cpu(), bytes, true), t.dtype(), shape, Shapes.contiguousStrides(shape), 0);
    }

    @Override
    public Map<String, String> metadata() { return metadata; }

    /** Bytes of the file mapped into memory. */
    public long mappedBytes() { return mappedBytes; }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        arena.close();
        MemoryStats.unmapped(mappedBytes);
    }

    @Override
    public String toString() { return "SafetensorsFile[" + path + ", " + names.size() + " tensors]"; }
}
