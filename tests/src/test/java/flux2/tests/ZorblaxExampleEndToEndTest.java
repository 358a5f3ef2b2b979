package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.lora.LoraFiles;
import flux2.examples.pretrain.MiniModel;
import flux2.examples.shapes.Shapes;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
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
 * The README's LoRA example shortened, through the real jar from the folder above a copy of examples/tiny: train a
 * few steps (validation before and after), then evaluate the base model and the LoRA on the held-out prompts and the
 * new word. A few steps teach nothing, so this checks that every stage runs and writes what it says, not accuracy.
 */
class ZorblaxExampleEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int SIZE = MiniModel.IMAGE_SIZE;

    @TempDir Path work;

    record Run(int code, String out, String err) {}

    Run flux2(String... args) throws IOException, InterruptedException {
        return flux2(180, args);
    }

    Run flux2(int timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "-jar", JarLaunchTest.JAR.toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        File out = work.resolve("stdout.txt").toFile(), err = work.resolve("stderr.txt").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().remove("FLUX2_RELAUNCHED");
        pb.environment().put("FLUX2_THREADS", "2");
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", args) + " did not finish in " + timeoutSeconds + " s: " + Files.readString(out.toPath()));
        }
        return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    @Test
    void trainsTheNewWordThenEvaluatesBeforeAndAfter() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(TrainEndToEndTest.EXAMPLE, work.resolve("examples/tiny"));

        Run train = flux2("train", "--config", "examples/tiny/config.json", "--max_train_steps", "3", "--checkpoint_step_interval", "100",
                "--validation_step_interval", "100", "--validation_num_inference_steps", "2");
        assertEquals(0, train.code(), train.out() + train.err());
        Path out = work.toRealPath().resolve("output/tiny");
        Path lora = out.resolve(LoraFiles.FILE_NAME);
        assertTrue(Files.isRegularFile(lora));
        for (int step : new int[]{0, 3})
            for (String name : List.of("validation", "blue_triangle", "green_circle"))
                for (int idx = 0; idx < 2; idx++)
                    assertTrue(Files.isRegularFile(out.resolve("validation_images/step_" + step + "_" + name + "_" + idx + "_" + SIZE + "x" + SIZE + ".png")), step + " " + name);

        int prompts = Shapes.heldOutPrompts().size() + 1;
        Run eval = flux2("example", "evaluate", "--config", "examples/tiny/config.json", "--lora", "output/tiny/" + LoraFiles.FILE_NAME,
                "--count", "1", "--steps", "2", "--out", "output/tiny/eval", "--grid", "output/tiny/grid.png", "--grid-columns", "1");
        assertEquals(0, eval.code(), eval.out() + eval.err());
        for (String model : List.of("base", "lora")) {
            try (Stream<Path> s = Files.list(out.resolve("eval").resolve(model))) {
                List<Path> pngs = s.filter(p -> p.toString().endsWith(".png")).toList();
                assertEquals(prompts, pngs.size(), model);
                for (Path p : pngs) assertEquals(SIZE, ImageIO.read(p.toFile()).getWidth(), p.toString());
            }
            assertTrue(Files.isRegularFile(out.resolve("eval").resolve(model).resolve("a-zorblax-on-a-white-background_seed1000.png")));
        }
        List<String> lines = Files.readAllLines(out.resolve("eval/evaluation.jsonl"));
        assertEquals(eval.out().lines().toList(), lines);
        assertEquals(2 * (prompts + 1), lines.size(), "a line per prompt and an overall line, for the base model and the LoRA");
        for (String l : lines) {
            JsonNode j = JSON.readTree(l);
            if (j.has("overall")) {
                assertEquals(prompts - 1, j.get("prompts").asInt());
                for (String f : List.of("color_accuracy", "shape_accuracy", "zorblax_rate_new_word")) {
                    double v = j.get(f).asDouble(-1);
                    assertTrue(v >= 0 && v <= 1, f + " in " + l);
                }
            } else {
                assertEquals(1, j.get("samples").asInt(), l);
            }
        }
        BufferedImage grid = ImageIO.read(out.resolve("grid.png").toFile());
        assertNotNull(grid);
        assertTrue(grid.getWidth() > 2 * SIZE && grid.getHeight() > 5 * SIZE, "5 rows of 1 + 1 images: " + grid.getWidth() + "x" + grid.getHeight());
    }

    @Test
    void halfTheStepsAlreadyTeachTheNewWord() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(TrainEndToEndTest.EXAMPLE, work.resolve("examples/tiny"));
        // the README's run stopped at step 1500 of 3000 (about 90 s on 2 cores); at 3000 it draws 9 zorblaxes in 10 (BENCHMARKS.md)
        Run train = flux2(900, "train", "--config", "examples/tiny/config.json", "--max_train_steps", "1500", "--checkpoint_step_interval", "1500",
                "--validation_step_interval", "1500", "--validation_on_startup", "false");
        assertEquals(0, train.code(), train.out() + train.err());
        Run eval = flux2(300, "example", "evaluate", "--config", "examples/tiny/config.json", "--lora", "output/tiny/" + LoraFiles.FILE_NAME,
                "--prompt", Shapes.newWordPrompt(), "--count", "8", "--out", "output/tiny/eval");
        assertEquals(0, eval.code(), eval.out() + eval.err());
        double before = -1, after = -1;
        for (String l : eval.out().lines().toList()) {
            JsonNode j = JSON.readTree(l);
            if (!j.has("overall")) continue;
            if (j.get("model").asText().equals("base")) before = j.get("zorblax_rate_new_word").asDouble();
            else after = j.get("zorblax_rate_new_word").asDouble();
        }
        assertEquals(0.0, before, "the base model never draws the new word: " + eval.out());
        // 2 of 8: the base model draws no zorblax in 240 samples, and the half-trained LoRA about 6 in 10
        assertTrue(after >= 2 / 8.0, "the LoRA draws the new word: " + eval.out());
    }

    @Test
    void pretrainedBaseModelDrawsTheAskedColoursAndShapesAndNotTheNewWord() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(TrainEndToEndTest.EXAMPLE, work.resolve("examples/tiny"));
        // the config's 20 sampling steps, 2 seeds per held-out prompt (the full figures, 10 seeds, are in BENCHMARKS.md)
        Run eval = flux2("example", "evaluate", "--config", "examples/tiny/config.json", "--count", "2", "--out", "output/base");
        assertEquals(0, eval.code(), eval.out() + eval.err());
        JsonNode overall = JSON.readTree(eval.out().lines().filter(l -> l.contains("\"overall\"")).findFirst().orElseThrow());
        assertTrue(overall.get("color_accuracy").asDouble() >= 0.9, "the asked colour dominates: " + overall);
        assertTrue(overall.get("shape_accuracy").asDouble() >= 0.85, "the asked shape fits best: " + overall);
        assertEquals(0.0, overall.get("zorblax_rate_new_word").asDouble(), "the base model does not know the new word: " + overall);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
