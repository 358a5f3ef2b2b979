package flux2.trainer.folders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A training run's output_dir, held for the whole run: created when missing, locked against other runs
 * ({@link FolderLock}), and cleaned of what interrupted runs left ({@link Leftovers}) in it and in its
 * {@code validation_images} folder.
 */
public final class OutputFolder implements AutoCloseable {
    /** The folder under output_dir that validation images go to. */
    public static final String VALIDATION_IMAGES = "validation_images";

    private final Path dir;
    private final FolderLock lock;

    private OutputFolder(Path dir, FolderLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Creates and locks {@code dir} for a run ({@code purpose}, e.g. "train") and removes leftovers, printing each
     * removal and any note on a lock taken over to {@code out}. Throws {@link FolderBusyException} when another
     * run holds it, and an error naming output_dir when it cannot be a folder.
     */
    public static OutputFolder claim(Path dir, String purpose, Consumer<String> out) throws IOException {
        if (dir == null || dir.toString().isBlank())
            throw new IOException("output_dir is empty: name the folder the run writes its checkpoints, LoRA and metrics to");
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new IOException("output_dir " + dir + " is a file, not a folder: name a folder (it is created when missing)");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("output_dir " + dir + ": cannot create the folder (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        FolderLock lock = FolderLock.acquire(dir, purpose, out);
        try {
            List<String> done = new ArrayList<>(Leftovers.clean(dir));
            done.addAll(Leftovers.clean(dir.resolve(VALIDATION_IMAGES)));
            for (String d : done) out.accept("cleaned up after an interrupted run: " + d);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        return new OutputFolder(dir, lock);
    }

    /** The folder. */
    public Path dir() { return dir; }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        lock.close();
    }
}
