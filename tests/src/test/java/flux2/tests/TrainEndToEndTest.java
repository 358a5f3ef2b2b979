package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraLayer;
import flux2.model.flux2.lora.LoraReader;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;
import flux2.examples.pretrain.MiniModel;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command on the embedded example, through the real jar: a copy of examples/tiny trained for a few
 * steps from the folder above it (paths in the example are relative to the working directory), then resumed.
 */
class TrainEndToEndTest {
    static final Path EXAMPLE = Path.of("..", "examples", "tiny");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path work;

    record Run(int code, String out, String err) {}

    Run train(String... overrides) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "-jar", JarLaunchTest.JAR.toAbsolutePath().toString(),
                "train", "--config", "examples/tiny/config.json"));
        cmd.addAll(List.of(overrides));
        File out = work.resolve("stdout.txt").toFile(), err = work.resolve("stderr.txt").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().remove("FLUX2_RELAUNCHED");
        pb.environment().put("FLUX2_THREADS", "2");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("train did not finish in 120 s: " + Files.readString(out.toPath()));
        }
        return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
    }

    @Test
    void trainsTheEmbeddedExampleAndResumesFromItsCheckpoint() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(EXAMPLE, work.resolve("examples/tiny"));

        Run first = train("--max_train_steps", "4", "--checkpoint_step_interval", "2", "--validation_step_interval", "2",
                "--validation_num_inference_steps", "2");
        assertEquals(0, first.code(), first.out() + first.err());
        Path out = work.toRealPath().resolve("output/tiny");
        assertTrue(first.out().contains("output folder: " + out), first.out());
        assertTrue(first.out().contains("done: 4 steps; LoRA at " + out.resolve(LoraFiles.FILE_NAME)), first.out());
        assertTrue(first.out().contains("LoRA for ComfyUI (copy it into ComfyUI/models/loras/; diffusers loads it fully too): "
                + out.resolve(LoraFiles.COMFYUI_FILE_NAME)), first.out());
        assertTrue(Files.isRegularFile(out.resolve(LoraFiles.COMFYUI_FILE_NAME)));
        assertTrue(first.out().contains("validation images: " + out.resolve("validation_images")), first.out());

        Path lora = out.resolve(LoraFiles.FILE_NAME);
        try (TensorArena a = TensorArena.open("e2e")) {
            assertEquals("4", LoraReader.read(lora, a).metadata().get("global_step"));
            Flux2Config c = MiniModel.transformerConfig();
            Lora loaded = LoraFiles.load(lora, new Flux2Transformer(c, DType.F32, a), 0, 0, a);
            assertEquals(8 * c.depth() + 2 * c.depthSingleBlocks(), loaded.layers().size(),
                    "preset all: 8 fused modules in each double block, 2 in each single block");
            for (LoraLayer l : loaded.layers().values()) assertEquals(16, l.rank, "lora_rank 16");
        }

        Set<String> images = new TreeSet<>();
        try (Stream<Path> s = Files.list(out.resolve("validation_images"))) {
            for (Path p : s.toList()) {
                BufferedImage img = ImageIO.read(p.toFile());
                assertNotNull(img, p + " decodes");
                assertEquals(MiniModel.IMAGE_SIZE, img.getWidth(), p.toString());
                assertEquals(MiniModel.IMAGE_SIZE, img.getHeight(), p.toString());
                images.add(p.getFileName().toString());
            }
        }
        Set<String> expected = new TreeSet<>();
        // validation_on_startup adds step 0, the base model; num_validation_images 2 gives images 0 and 1
        for (int step : new int[]{0, 2, 4})
            for (String name : List.of("validation", "blue_triangle", "green_circle"))
                for (int idx = 0; idx < 2; idx++) expected.add("step_" + step + "_" + name + "_" + idx + "_32x32.png");
        assertEquals(expected, images);
        assertNotNull(ImageIO.read(out.resolve("loss_curve.png").toFile()));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-2/training_state.json")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-4/training_state.json")));
        List<JsonNode> before = metrics(out, 4);

        Run resumed = train("--max_train_steps", "6", "--checkpoint_step_interval", "2", "--validation_step_interval", "100",
                "--resume_from_checkpoint", "latest");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resumed from " + out.resolve("checkpoint-4") + " at step 4"), resumed.out());
        // 24 colour/shape captions, the new word's, and the empty negative prompt of classifier-free guidance
        assertTrue(resumed.out().contains("text cache " + out.resolve("cache/text") + ": 26 of 26 captions cached"), "caches reused: " + resumed.out());
        List<JsonNode> after = metrics(out, 6);
        assertEquals(before, after.subList(0, 4), "steps before the checkpoint are kept as they were");
        try (TensorArena a = TensorArena.open("e2e")) {
            assertEquals("6", LoraReader.read(lora, a).metadata().get("global_step"));
        }
        assertTrue(Files.isRegularFile(out.resolve("checkpoint-6/training_state.json")));
        assertFalse(Files.exists(out.resolve("checkpoint-2")), "checkpoints_total_limit 2 keeps checkpoint-4 and checkpoint-6");
    }

    /** Every line of metrics.jsonl, checked to parse with exactly the documented fields and steps 1..n. */
    private static List<JsonNode> metrics(Path out, int n) throws IOException {
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(n, lines.size(), lines.toString());
        List<JsonNode> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode j = JSON.readTree(lines.get(i));
            Set<String> fields = new TreeSet<>();
            j.fieldNames().forEachRemaining(fields::add);
            assertEquals(new TreeSet<>(List.of("step", "loss", "lr", "grad_norm", "seconds", "peak_memory_bytes")), fields, lines.get(i));
            assertEquals(i + 1, j.get("step").asLong());
            for (String f : List.of("loss", "grad_norm", "seconds"))
                assertTrue(j.get(f).isNumber() && Double.isFinite(j.get(f).asDouble()) && j.get(f).asDouble() > 0, f + " in " + lines.get(i));
            assertTrue(j.get("lr").asDouble() >= 0 && j.get("peak_memory_bytes").asLong() > 0, lines.get(i));
            nodes.add(j);
        }
        return nodes;
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
