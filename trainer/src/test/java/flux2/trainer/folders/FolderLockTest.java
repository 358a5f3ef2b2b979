package flux2.trainer.folders;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderLockTest {
    @TempDir Path dir;

    @Test
    void aSecondLockInTheSameProcessIsRefusedNamingTheHolder() throws Exception {
        long pid = ProcessHandle.current().pid();
        try (FolderLock first = FolderLock.acquire(dir, "train", n -> fail(n))) {
            FolderBusyException e = assertThrows(FolderBusyException.class, () -> FolderLock.acquire(dir, "train", n -> {}));
            assertTrue(e.getMessage().contains("in use by another run: pid " + pid + " on host "), e.getMessage());
            assertTrue(e.getMessage().contains(dir.toRealPath().resolve(FolderLock.FILE_NAME).toString()), e.getMessage());
            assertEquals(pid, e.holder().pid());
            assertNull(FolderLock.tryAcquire(dir, "cache", n -> {}));
            String content = first.holder().describe();
            assertTrue(content.startsWith("pid " + pid), content);
        }
        try (FolderLock again = FolderLock.acquire(dir, "train", n -> fail("a released lock is not stale: " + n))) {
            assertNotNull(again);
        }
        assertEquals(0, Files.size(dir.resolve(FolderLock.FILE_NAME)), "a released lock file names nobody");
    }

    @Test
    void aLockFileLeftByADeadProcessIsTakenOverWithANote() throws Exception {
        // what a killed run leaves: its details, but no system lock (the system released it with the process)
        Files.writeString(dir.resolve(FolderLock.FILE_NAME), "{\"pid\":999999999,\"host\":\"gone\",\"since\":\"2020-01-01T00:00:00Z\",\"purpose\":\"train\"}");
        List<String> notes = new ArrayList<>();
        try (FolderLock l = FolderLock.acquire(dir, "train", notes::add)) {
            assertEquals(1, notes.size(), notes.toString());
            assertTrue(notes.getFirst().contains("pid 999999999 on host gone") && notes.getFirst().contains("ended without releasing it"), notes.toString());
            assertTrue(Files.readString(dir.resolve(FolderLock.FILE_NAME)).contains("\"pid\":" + ProcessHandle.current().pid()));
        }
    }

    @Test
    void anotherProcessIsRefusedWhileHeldAndTakesOverWhenTheHolderIsKilled() throws Exception {
        Process child;
        try (FolderLock mine = FolderLock.acquire(dir, "train", n -> {})) {
            // refused in this process too, which must not drop the system lock the other process is then refused by
            assertNull(FolderLock.tryAcquire(dir, "train", n -> {}));
            child = holder();
            assertEquals("busy", firstLine(child), "the other process is refused while this one holds the folder");
            child.waitFor(30, TimeUnit.SECONDS);
        }
        child = holder();
        String line = firstLine(child);
        assertTrue(line.startsWith("locked "), line);
        long childPid = child.pid();
        try {
            FolderBusyException e = assertThrows(FolderBusyException.class, () -> FolderLock.acquire(dir, "train", n -> {}));
            assertTrue(e.getMessage().contains("pid " + childPid + " "), e.getMessage());
            assertTrue(e.getMessage().contains("test holder"), e.getMessage());
        } finally {
            child.destroyForcibly(); // a crash: no chance to release anything
            child.waitFor(30, TimeUnit.SECONDS);
        }
        List<String> notes = new ArrayList<>();
        try (FolderLock l = FolderLock.acquire(dir, "train", notes::add)) {
            assertEquals(1, notes.size(), notes.toString());
            assertTrue(notes.getFirst().contains("pid " + childPid + " "), notes.toString());
        }
    }

    private Process holder() throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
    }

    private static String firstLine(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
        String line = r.readLine();
        assertNotNull(line, "the holder process printed nothing");
        return line;
    }
}
