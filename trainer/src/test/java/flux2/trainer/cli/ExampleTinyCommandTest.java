package flux2.trainer.cli;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.Main;
import flux2.trainer.example.TinyProject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleTinyCommandTest {
    static final Path COMMITTED = Path.of("..", "examples", "tiny");

    @TempDir Path dir;

    @Test
    void committedExampleIsWhatTheWriterWrites() throws Exception {
        Path root = dir.resolve("examples/tiny");
        TinyProject.writeExample(root, Path.of("output/tiny"));
        List<Path> written, committed;
        try (Stream<Path> a = Files.walk(root); Stream<Path> b = Files.walk(COMMITTED)) {
            written = a.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
            committed = b.filter(Files::isRegularFile).map(COMMITTED::relativize).sorted().toList();
        }
        assertEquals(written, committed, "regenerate with: bin/flux2 example tiny --out examples/tiny --force");
        // the committed files name their paths relative to the repository root
        String prefix = dir.toString() + "/";
        for (Path f : written) {
            byte[] mine = Files.readAllBytes(root.resolve(f));
            if (f.toString().endsWith(".json")) mine = new String(mine, StandardCharsets.UTF_8).replace(prefix, "").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(mine, Files.readAllBytes(COMMITTED.resolve(f)), f + " differs; regenerate with: bin/flux2 example tiny --out examples/tiny --force");
        }
    }

    @Test
    void refusesANonEmptyFolderWithoutForce() throws Exception {
        Path out = dir.resolve("x");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertEquals(2, Main.run("example", "tiny", "--out", out.toString()));
        assertFalse(Files.exists(out.resolve("config.json")));
        assertEquals(0, Main.run("example", "tiny", "--out", out.toString(), "--force"));
        assertTrue(Files.isRegularFile(out.resolve("model/transformer/diffusion_pytorch_model.safetensors")));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }
}
