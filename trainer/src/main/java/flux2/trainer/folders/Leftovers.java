package flux2.trainer.folders;

import flux2.tensor.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * What interrupted writes leave in a run's folders, and its removal. Every write of this trainer goes through a
 * hidden name that is renamed into place when complete, so in a folder this run holds locked these are garbage:
 * hidden files and folders ending in {@code .tmp} (temporary files of {@link AtomicFiles}, checkpoint and
 * transformer folders being written), hidden {@code .trash-*} folders (being deleted), and a hidden
 * {@code .<name>.old} folder (a replaced folder), which is removed when {@code <name>} exists and renamed back to
 * {@code <name>} when the replacement was cut off before its new folder was in place.
 */
public final class Leftovers {
    static final String TRASH_PREFIX = ".trash-";

    private Leftovers() {}

    /** Cleans {@code folder} (not its subfolders) and returns what was done, one entry per name; an absent folder is clean. */
    public static List<String> clean(Path folder) throws IOException {
        List<String> done = new ArrayList<>();
        if (!Files.isDirectory(folder)) return done;
        List<Path> entries;
        try (Stream<Path> s = Files.list(folder)) {
            entries = s.sorted().toList();
        }
        for (Path p : entries) {
            String n = p.getFileName().toString();
            if (!n.startsWith(".") || n.equals(FolderLock.FILE_NAME)) continue;
            boolean dir = Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (n.endsWith(".tmp") || n.startsWith(TRASH_PREFIX)) {
                deleteTree(p);
                done.add("removed " + p + (dir ? "/" : ""));
            } else if (dir && n.endsWith(".old") && n.length() > ".old".length() + 1) {
                Path original = folder.resolve(n.substring(1, n.length() - ".old".length()));
                if (Files.exists(original)) {
                    deleteTree(p);
                    done.add("removed " + p + "/");
                } else {
                    AtomicFiles.move(p, original);
                    done.add("restored " + original + " from " + p + " (its replacement was interrupted)");
                }
            }
        }
        return done;
    }

    /**
     * Deletes a file or folder so that no half-deleted folder is ever seen under its name: it is first renamed to a
     * hidden {@code .trash-} name (which {@link #clean} removes if the deletion is cut off), then deleted.
     */
    public static void discard(Path p) throws IOException {
        discard(p, Leftovers::deleteTree);
    }

    /** Deletes a file or folder tree. */
    @FunctionalInterface
    interface Deletion {
        void delete(Path p) throws IOException;
    }

    /** As {@link #discard(Path)}, deleting with {@code deletion} (tests cut it off half-way). */
    static void discard(Path p, Deletion deletion) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Path trash = p.resolveSibling(TRASH_PREFIX + p.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        AtomicFiles.move(p, trash);
        deletion.delete(trash);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
        }
    }
}
