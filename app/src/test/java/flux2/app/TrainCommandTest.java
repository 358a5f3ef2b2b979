package flux2.app;

import static org.junit.jupiter.api.Assertions.*;

import flux2.app.Main;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    @TempDir Path dir;

    @Test
    void invalidConfigIsReportedBeforeAnyWork() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true));
        try {
            assertEquals(2, Main.run("train", "--config", cfg.toString(), "--lr_scheduler", "sideways", "--train_batch_size", "0"));
        } finally {
            System.setErr(err);
        }
        String msg = captured.toString();
        assertTrue(msg.contains("lr_scheduler") && msg.contains("train_batch_size"), msg);
        assertFalse(Files.exists(dir.resolve("output")), "nothing written");
        assertFalse(Files.exists(dir.resolve("cache")), "no cache built");
    }

    @Test
    void cacheCommandBuildsCachesOnly() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        assertEquals(0, Main.run("cache", "--config", cfg.toString()));
        try (var s = Files.list(dir.resolve("cache/text"))) {
            assertEquals(6, s.filter(p -> p.toString().endsWith(".safetensors")).count(), "4 captions, the validation prompt and the library prompt");
        }
        try (var s = Files.list(dir.resolve("cache/vae"))) {
            assertEquals(List.of(".flux2.lock"), s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".safetensors")).toList(),
                    "the latents and the (released) lock file of the build");
        }
        try (var s = Files.list(dir.resolve("cache/vae"))) {
            assertEquals(4, s.filter(p -> p.toString().endsWith(".safetensors")).count());
        }
        assertFalse(Files.exists(dir.resolve("output/pytorch_lora_weights.safetensors")));
    }
}
