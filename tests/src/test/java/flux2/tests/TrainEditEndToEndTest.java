package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import flux2.model.flux2.lora.LoraFiles;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edit example through the real jar, as the README runs it: copies of examples/tiny (whose model it trains) and
 * examples/tiny-edit trained for a few steps from the folder above them, with validation on the reference images.
 */
class TrainEditEndToEndTest {
    @TempDir Path work;

    @Test
    void trainsTheEditExample() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(Path.of("..", "examples", "tiny", "model"), work.resolve("examples/tiny/model"));
        copy(Path.of("..", "examples", "tiny-edit"), work.resolve("examples/tiny-edit"));
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "-jar", JarLaunchTest.JAR.toAbsolutePath().toString(),
                "train", "--config", "examples/tiny-edit/config.json", "--max_train_steps", "3", "--validation_step_interval", "3",
                "--validation_num_inference_steps", "2"));
        File out = work.resolve("stdout.txt").toFile(), err = work.resolve("stderr.txt").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().remove("FLUX2_RELAUNCHED");
        pb.environment().put("FLUX2_THREADS", "2");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("train did not finish in 120 s: " + Files.readString(out.toPath()));
        }
        String stdout = Files.readString(out.toPath());
        assertEquals(0, p.exitValue(), stdout + Files.readString(err.toPath()));
        Path dir = work.toRealPath().resolve("output/tiny-edit");
        assertTrue(stdout.contains("conditioning dataset 'references' (reference_strict): 8 references paired with 'edits'"), stdout);
        assertTrue(stdout.contains("done: 3 steps; LoRA at " + dir.resolve(LoraFiles.FILE_NAME)), stdout);
        assertEquals(3, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
        for (String name : List.of("magentasq", "magentacirc"))
            assertEquals(32, ImageIO.read(dir.resolve("validation_images/step_3_" + name + "_0_32x32.png").toFile()).getHeight(), name);
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
