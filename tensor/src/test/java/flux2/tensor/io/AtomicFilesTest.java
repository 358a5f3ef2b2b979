package flux2.tensor.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replacesTheTargetAndLeavesNothingElse() throws IOException {
        Path f = dir.resolve("state.json");
        AtomicFiles.writeString(f, "old");
        AtomicFiles.writeStream(f, out -> out.write("new content".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new content", Files.readString(f));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aFailingWriteKeepsTheOldFileAndRemovesItsTemporary() throws IOException {
        Path f = dir.resolve("curve.png");
        AtomicFiles.writeString(f, "complete");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeStream(f, out -> {
            out.write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("complete", Files.readString(f));
        assertEquals(List.of("curve.png"), names());
    }

    @Test
    void temporaryFilesAreRecognisedByName() throws IOException {
        // what a kill in the middle of a write leaves: the body has run, the rename has not
        Path f = dir.resolve("pytorch_lora_weights.safetensors");
        Thread writer = Thread.currentThread();
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, ch -> {
            try (Stream<Path> s = Files.list(dir)) {
                String tmp = s.map(p -> p.getFileName().toString()).findFirst().orElseThrow();
                assertTrue(tmp.startsWith(".pytorch_lora_weights.safetensors.") && tmp.endsWith(".tmp"), tmp);
                assertTrue(AtomicFiles.isTemporaryName(tmp), tmp);
            }
            throw new IllegalStateException("stop " + writer.getName());
        }));
        assertTrue(AtomicFiles.isTemporaryName(".pytorch_lora_weights.safetensors.3fa9c01d2b.tmp"));
        for (String n : List.of("pytorch_lora_weights.safetensors", ".checkpoint-4.tmp", "a.tmp", ".x.zz.tmp", ".flux2.lock"))
            assertFalse(AtomicFiles.isTemporaryName(n), n);
    }

    @Test
    void movesAFolderInOneStep() throws IOException {
        Path a = Files.createDirectories(dir.resolve(".checkpoint-3.tmp"));
        Files.writeString(a.resolve("x"), "1");
        AtomicFiles.move(a, dir.resolve("checkpoint-3"));
        assertEquals(List.of("checkpoint-3"), names());
        assertEquals("1", Files.readString(dir.resolve("checkpoint-3/x")));
    }
}
