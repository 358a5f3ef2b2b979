package flux2.trainer.cache;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** One cached tensor in a safetensors file whose metadata carries the key it was made for. */
final class EntryFile {
    static final String KEY = "flux2.cache_key";

    private EntryFile() {}

    /** Whether {@code file} exists, is readable and was written for {@code key}. */
    static boolean isValid(Path file, String key) {
        if (!Files.isRegularFile(file)) return false;
        try (TensorSource src = Checkpoints.open(file)) {
            return key.equals(src.metadata().get(KEY));
        } catch (RuntimeException | IOException e) {
            return false; // a damaged entry is rebuilt
        }
    }

    /** Writes the tensor atomically (a temporary file renamed into place). */
    static void write(Path file, String name, Tensor t, String key, Map<String, String> extra) {
        try {
            Files.createDirectories(file.getParent());
            Map<String, String> meta = new java.util.LinkedHashMap<>(extra);
            meta.put(KEY, key);
            SafetensorsWriter.write(file, Map.of(name, t.contiguous()), meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write cache entry " + file + ": " + e.getMessage(), e);
        }
    }

    /** The tensor copied into the current arena; an error naming the file when it is missing or stale. */
    static Tensor read(Path file, String name, String key, String what) {
        if (!Files.isRegularFile(file)) throw new IllegalStateException("the " + what + " is not cached (" + file + "): build the caches first");
        try (TensorSource src = Checkpoints.open(file)) {
            if (!key.equals(src.metadata().get(KEY)))
                throw new IllegalStateException("the cached " + what + " at " + file + " was made with other settings or another model: rebuild the caches");
            return src.tensor(name).to(flux2.tensor.DType.F32).copyTo(TensorArena.current());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read cache entry " + file + ": " + e.getMessage(), e);
        }
    }
}
