package flux2.examples.cli;

import static org.junit.jupiter.api.Assertions.*;

import flux2.app.Main;
import flux2.examples.TinyEditProject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleTinyEditCommandTest {
    static final Path COMMITTED = Path.of("..", "examples", "tiny-edit");
    static final String REGENERATE = "regenerate with: bin/flux2 example tiny-edit --out examples/tiny-edit --force";

    @TempDir Path dir;

    @Test
    void committedExampleIsWhatTheWriterWrites() throws Exception {
        Path root = dir.resolve("examples/tiny-edit");
        TinyEditProject.writeExample(root, Path.of("examples/tiny/model"), Path.of("output/tiny-edit"));
        List<Path> written, committed;
        try (Stream<Path> a = Files.walk(root); Stream<Path> b = Files.walk(COMMITTED)) {
            written = a.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
            committed = b.filter(Files::isRegularFile).map(COMMITTED::relativize).sorted().toList();
        }
        assertEquals(written, committed, REGENERATE);
        String prefix = dir.toString() + "/";
        long bytes = 0;
        for (Path f : written) {
            byte[] mine = Files.readAllBytes(root.resolve(f));
            if (f.toString().endsWith(".json")) mine = new String(mine, StandardCharsets.UTF_8).replace(prefix, "").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(mine, Files.readAllBytes(COMMITTED.resolve(f)), f + " differs; " + REGENERATE);
            bytes += mine.length;
        }
        assertTrue(bytes < 300_000, "the example stays small: " + bytes + " bytes");
        String config = Files.readString(COMMITTED.resolve("config.json"));
        assertTrue(config.contains("\"pretrained_model_name_or_path\" : \"examples/tiny/model\""), "the tiny example's model, not a copy: " + config);
    }

    @Test
    void refusesANonEmptyFolderWithoutForce() throws Exception {
        Path out = dir.resolve("x");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertEquals(2, Main.run("example", "tiny-edit", "--out", out.toString()));
        assertFalse(Files.exists(out.resolve("config.json")));
        assertEquals(0, Main.run("example", "tiny-edit", "--out", out.toString(), "--force", "--model", "m"));
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"pretrained_model_name_or_path\" : \"m\""));
        assertTrue(Files.isRegularFile(out.resolve("data/reference/pair7.png")));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }
}
