package flux2.tensor.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Files replaced all at once: the bytes go to a hidden temporary file in the target's folder
 * ({@code .<name>.<hex>.tmp}), which is flushed to disk, renamed over the target, and then the folder itself is
 * flushed, so that after a crash or power loss readers see either the old file or the complete new one. On failure
 * the temporary file is removed and the target is untouched; a kill leaves only a temporary file, which
 * {@link #isTemporaryName} recognises so that a later run can remove it.
 */
public final class AtomicFiles {
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

    private AtomicFiles() {}

    /** Writes the content of a file through its channel (positioned at 0, empty). */
    @FunctionalInterface
    public interface ChannelBody {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes the content of a file to a stream (buffered; closing it is not needed). */
    @FunctionalInterface
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** Replaces {@code target} (in an existing folder) with what {@code body} writes to a channel. */
    public static void write(Path target, ChannelBody body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = createTemporary(dir, abs.getFileName().toString());
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure matters more than a leftover temporary file
                }
            }
        }
    }

    /** Replaces {@code target} with what {@code body} writes to a stream. */
    public static void writeStream(Path target, StreamBody body) throws IOException {
        write(target, ch -> {
            // the channel stays open (it is flushed to disk after the body), so the stream must not close it
            OutputStream keepOpen = new FilterOutputStream(Channels.newOutputStream(ch)) {
                @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
                @Override public void close() throws IOException { flush(); }
            };
            BufferedOutputStream out = new BufferedOutputStream(keepOpen, 1 << 16);
            body.write(out);
            out.flush();
        });
    }

    /** Replaces {@code target} with {@code bytes}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) ch.write(b);
        });
    }

    /** Replaces {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Renames a file or folder within one file system in one step (never a copy), then flushes the folders of both
     * names so that the rename survives a crash.
     */
    public static void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        Path a = from.toAbsolutePath().getParent(), b = to.toAbsolutePath().getParent();
        syncDirectory(b);
        if (!a.equals(b)) syncDirectory(a);
    }

    /**
     * Flushes a folder's entries (new, renamed and removed names) to disk. Best effort: where the platform or file
     * system cannot flush a folder (Windows cannot open one; some network file systems refuse), the rename has
     * still happened and nothing is reported.
     */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // durability of the folder entry is a bonus here, not a condition of the write
        }
    }

    /** Whether a file name is that of a temporary file this class writes (what an interrupted write leaves). */
    public static boolean isTemporaryName(String fileName) {
        return TEMPORARY.matcher(fileName).matches();
    }

    /**
     * A new empty file next to the target. Unlike Files.createTempFile (owner-only permissions) it gets the umask's
     * default permissions, so the renamed result looks like any other file the user writes.
     */
    private static Path createTemporary(Path dir, String name) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                last = e;
            }
        }
        throw last;
    }
}
