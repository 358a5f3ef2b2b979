package flux2.trainer.folders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.io.StrictJson;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An exclusive lock on a folder ({@code .flux2.lock} in it): an operating-system file lock, which the system
 * releases when the holding process ends however it ends, and in the file the holder's process id, host, start
 * time and purpose, so that a refused run can say who holds the folder. Released, the file is left empty; a file
 * that still names a holder while no process holds its system lock was left by a process that died, and is taken
 * over with a note.
 *
 * <p>System file locks belong to the whole process (a second lock in the same JVM throws
 * OverlappingFileLockException, and closing any channel to the file would drop the process's lock), so the locks
 * this JVM holds are also kept in a table and the lock file of a held folder is never opened a second time.
 */
public final class FolderLock implements AutoCloseable {
    /** The lock file's name inside the locked folder. */
    public static final String FILE_NAME = ".flux2.lock";
    private static final ObjectMapper JSON = StrictJson.mapper();
    /** The locked byte: far beyond the content, so that the holder's details stay readable where locks are mandatory. */
    private static final long LOCK_POSITION = Long.MAX_VALUE - 1;
    /** Lock files held by this JVM, by real path; guarded by itself. */
    private static final Map<Path, Holder> HELD = new HashMap<>();
    /** Channels that must stay open because closing them would drop a lock held through another channel. */
    private static final List<FileChannel> KEPT_OPEN = new ArrayList<>();

    /** Who holds a lock, as written in the lock file. */
    public record Holder(long pid, String host, String since, String purpose) {
        /** For messages: "pid 1234 on host h (train, since 2025-01-01T00:00:00Z)". */
        public String describe() {
            return "pid " + pid + " on host " + host + " (" + purpose + ", since " + since + ")";
        }
    }

    private final Path file;
    private final Holder holder;
    private FileChannel channel;
    private FileLock lock;

    private FolderLock(Path file, Holder holder, FileChannel channel, FileLock lock) {
        this.file = file;
        this.holder = holder;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code folder} (an existing folder) for {@code purpose} ("train", "cache"); {@code notes} hears of a lock
     * taken over from a dead process. Throws {@link FolderBusyException} naming the holder when another run holds it.
     */
    public static FolderLock acquire(Path folder, String purpose, Consumer<String> notes) throws IOException {
        Attempt a = attempt(folder, purpose, notes);
        if (a.lock() == null) throw new FolderBusyException(folder, a.file(), a.holder() != null ? a.holder() : readHolder(a.file()));
        return a.lock();
    }

    /** As {@link #acquire}, but null when another run holds the folder. */
    public static FolderLock tryAcquire(Path folder, String purpose, Consumer<String> notes) throws IOException {
        return attempt(folder, purpose, notes).lock();
    }

    /** A lock, or the lock file and (when this JVM is the holder) the holder; else the holder is read from the file. */
    private record Attempt(FolderLock lock, Path file, Holder holder) {}

    private static Attempt attempt(Path folder, String purpose, Consumer<String> notes) throws IOException {
        Path file = folder.toRealPath().resolve(FILE_NAME);
        synchronized (HELD) {
            Holder mine = HELD.get(file);
            if (mine != null) return new Attempt(null, file, mine);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock(LOCK_POSITION, 1, false);
            } catch (OverlappingFileLockException e) {
                // this JVM holds it through a path the table does not know (a mount seen twice): keep the channel
                // open, as closing it would drop that lock, and never read the file
                KEPT_OPEN.add(ch);
                return new Attempt(null, file, new Holder(ProcessHandle.current().pid(), hostName(), "?", "another run in this process"));
            } catch (IOException e) {
                ch.close();
                throw new IOException("cannot lock " + file + ": " + e.getMessage(), e);
            }
            if (lock == null) {
                ch.close(); // this process holds no lock on the file, so closing drops nothing
                return new Attempt(null, file, null);
            }
            Holder stale = parse(read(ch));
            if (stale != null)
                notes.accept("note: " + file + " named " + stale.describe() + ", which ended without releasing it; taking the folder over");
            Holder me = new Holder(ProcessHandle.current().pid(), hostName(), Instant.now().toString(), purpose);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(JSON.writeValueAsBytes(JSON.createObjectNode().put("pid", me.pid()).put("host", me.host())
                    .put("since", me.since()).put("purpose", me.purpose()))), 0);
            ch.force(true);
            HELD.put(file, me);
            return new Attempt(new FolderLock(file, me, ch, lock), file, me);
        }
    }

    /**
     * What the lock file of a folder held by another process says, waiting briefly for a holder that has just
     * locked it to write its details; null when it names nobody. Opening the file is safe here: this process holds
     * no lock on it.
     */
    private static Holder readHolder(Path file) {
        for (int attempt = 0; attempt < 20; attempt++) {
            Holder h;
            try {
                h = Files.isRegularFile(file) ? parse(Files.readString(file)) : null;
            } catch (IOException e) {
                return new Holder(-1, "?", "?", "unreadable lock file: " + e.getMessage());
            }
            if (h != null) return h;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return null;
    }

    /** The lock file. */
    public Path file() { return file; }

    /** This lock's holder (this process). */
    public Holder holder() { return holder; }

    /** Empties the lock file and releases the lock. */
    @Override
    public void close() throws IOException {
        synchronized (HELD) {
            if (channel == null) return;
            try {
                channel.truncate(0);
                channel.force(true);
                lock.release();
            } finally {
                channel.close();
                channel = null;
                lock = null;
                HELD.remove(file);
            }
        }
    }

    private static String read(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), 1 << 16);
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) { }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** The holder a lock file names, or null for an empty or unreadable one. */
    private static Holder parse(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) return null;
            return new Holder(n.path("pid").asLong(-1), n.path("host").asText("?"), n.path("since").asText("?"), n.path("purpose").asText("?"));
        } catch (IOException e) {
            return new Holder(-1, "?", "?", "unreadable lock file");
        }
    }

    private static volatile String hostName;

    private static String hostName() {
        if (hostName == null) {
            try {
                hostName = InetAddress.getLocalHost().getHostName();
            } catch (IOException | RuntimeException e) {
                String h = System.getenv("HOSTNAME");
                hostName = h != null && !h.isBlank() ? h : "unknown";
            }
        }
        return hostName;
    }
}
