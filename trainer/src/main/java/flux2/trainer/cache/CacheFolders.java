package flux2.trainer.cache;

import flux2.trainer.folders.FolderBusyException;
import flux2.trainer.folders.FolderLock;
import flux2.trainer.folders.Leftovers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The cache folders a build writes, each locked ({@link FolderLock}) while the build runs and cleaned of temporary
 * files that interrupted builds left. A folder another run is writing is refused only when this build would write
 * to it: one whose entries are all there already is only read, and needs no lock.
 */
final class CacheFolders implements AutoCloseable {
    private final List<FolderLock> locks;

    private CacheFolders(List<FolderLock> locks) {
        this.locks = locks;
    }

    /** Locks and cleans each folder; {@code complete} says for each whether it already holds every entry the build needs. */
    static CacheFolders claim(Map<Path, BooleanSupplier> complete, PrintStream out) throws IOException {
        List<FolderLock> locks = new ArrayList<>();
        try {
            for (var e : complete.entrySet()) {
                Path dir = Files.createDirectories(e.getKey());
                FolderLock lock;
                try {
                    lock = FolderLock.acquire(dir, "cache", out::println);
                } catch (FolderBusyException busy) {
                    if (e.getValue().getAsBoolean()) continue;
                    throw busy;
                }
                locks.add(lock);
                for (String d : Leftovers.clean(dir)) out.println("cleaned up after an interrupted run: " + d);
            }
        } catch (IOException | RuntimeException e) {
            new CacheFolders(locks).close();
            throw e;
        }
        return new CacheFolders(locks);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FolderLock l : locks) {
            try {
                l.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
