package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import flux2.model.flux2.lora.LoraFiles;
import flux2.examples.eval.ShapeClassifier;
import flux2.examples.eval.Verdict;
import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
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
 * examples/tiny-edit trained from the folder above them, with validation on the held-out magenta references before
 * and after training. The edit ("make the shape blue") is learned when the validation pictures turn from the
 * reference's colour to blue while keeping the reference's shape.
 */
class TrainEditEndToEndTest {
    @TempDir Path work;

    @Test
    void trainsTheEditExample() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(Path.of("..", "examples", "tiny", "model"), work.resolve("examples/tiny/model"));
        copy(Path.of("..", "examples", "tiny-edit"), work.resolve("examples/tiny-edit"));
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "-jar", JarLaunchTest.JAR.toAbsolutePath().toString(),
                "train", "--config", "examples/tiny-edit/config.json", "--validation_on_startup", "true"));
        File out = work.resolve("stdout.txt").toFile(), err = work.resolve("stderr.txt").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().remove("FLUX2_RELAUNCHED");
        pb.environment().put("FLUX2_THREADS", "2");
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("train did not finish in 600 s: " + Files.readString(out.toPath()));
        }
        String stdout = Files.readString(out.toPath());
        assertEquals(0, p.exitValue(), stdout + Files.readString(err.toPath()));
        Path dir = work.toRealPath().resolve("output/tiny-edit");
        assertTrue(stdout.contains("conditioning dataset 'references' (reference_strict): 8 references paired with 'edits'"), stdout);
        assertTrue(stdout.contains("done: 100 steps; LoRA at " + dir.resolve(LoraFiles.FILE_NAME)), stdout);
        assertEquals(100, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
        for (String[] ref : new String[][]{{"magentasq", "SQUARE"}, {"magentacirc", "CIRCLE"}}) {
            Verdict before = judge(dir, 0, ref[0]), after = judge(dir, 100, ref[0]);
            assertTrue(before.recognised() && before.color() != ShapeColor.BLUE, ref[0] + " before training: " + before);
            assertTrue(after.recognised() && after.color() == ShapeColor.BLUE, ref[0] + " after training: " + after);
            assertEquals(Shape.valueOf(ref[1]), after.shape(), ref[0] + " keeps the reference's shape: " + after);
        }
    }

    private static Verdict judge(Path dir, int step, String name) throws Exception {
        return ShapeClassifier.classify(ImageIO.read(dir.resolve("validation_images/step_" + step + "_" + name + "_0_32x32.png").toFile()));
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
