package flux2.examples.cli;

import flux2.app.CliRun;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import flux2.examples.TinyModel;
import flux2.examples.TinyProject;
import flux2.examples.shapes.Shapes;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleEvaluateCommandTest {
    @TempDir Path dir;

    @Test
    void evaluatesBaseAndLoraAndWritesImagesLinesAndGrid() throws Exception {
        Path cfg = TinyProject.write(dir.resolve("project"), Map.of());
        Path lora = dir.resolve("lora.safetensors");
        try (TensorArena a = TensorArena.open("t")) {
            Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
            Lora l = Lora.attach(m, LoraTargets.preset("all"), new Lora.Config(2, 2, 0, 1), new Rng(1), a);
            for (var layer : l.layers().values()) new Rng(2).fillNormal(layer.b.weight.value(), 0, 0.5);
            LoraFiles.save(lora, l, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
        }
        Path out = dir.resolve("eval"), grid = dir.resolve("grid.png");
        String circle = "a red circle on a white background";
        CliRun r = CliRun.of("example", "evaluate", "--config", cfg.toString(), "--lora", lora.toString(), "--prompt", circle,
                "--prompt", Shapes.newWordPrompt(), "--count", "3", "--seed", "4", "--out", out.toString(), "--grid", grid.toString(),
                "--grid-columns", "2", "--vae-round-trip");
        assertEquals(0, r.code(), r.err());

        for (String variant : List.of("base", "lora")) {
            try (var files = Files.list(out.resolve(variant))) {
                assertEquals(6, files.filter(f -> f.toString().endsWith(".png")).count(), variant);
            }
            assertTrue(Files.isRegularFile(out.resolve(variant).resolve("a-zorblax-on-a-white-background_seed6.png")));
        }
        List<String> lines = r.out().lines().toList();
        assertEquals(Files.readAllLines(out.resolve("evaluation.jsonl")), lines);
        assertEquals(9, lines.size(), "2 prompts and an overall line for base, lora and the VAE round trip: " + r.out());
        ObjectMapper json = new ObjectMapper();
        JsonNode first = json.readTree(lines.get(0)), concept = json.readTree(lines.get(1)), overall = json.readTree(lines.get(2));
        assertEquals("base", first.get("model").asText());
        assertEquals(circle, first.get("prompt").asText());
        assertEquals("red", first.get("color").asText());
        assertEquals("circle", first.get("shape").asText());
        assertEquals(3, first.get("samples").asInt());
        double acc = first.get("color_accuracy").asDouble();
        assertTrue(acc >= 0 && acc <= 1, lines.get(0));
        assertEquals("zorblax", concept.get("concept").asText());
        assertTrue(concept.get("color_accuracy").isNull(), "the new word names no colour");
        assertTrue(overall.get("overall").asBoolean());
        assertEquals(1, overall.get("prompts").asInt());
        assertEquals("lora", json.readTree(lines.get(5)).get("model").asText());
        JsonNode trip = json.readTree(lines.get(6));
        assertEquals("vae_round_trip", trip.get("model").asText());
        assertEquals(3, trip.get("samples").asInt());
        try (var files = Files.list(out.resolve("vae_round_trip"))) {
            assertEquals(6, files.count());
        }

        BufferedImage g = ImageIO.read(grid.toFile());
        // two rows (the new word, then the circle) of 32 px images drawn at 64 px, two blocks of two columns
        int cell = 64 + flux2.examples.eval.SampleGrid.PAD;
        assertEquals(flux2.examples.eval.SampleGrid.HEADER + 2 * cell, g.getHeight());
        // a block is as wide as its images or its heading, whichever is wider
        assertTrue(g.getWidth() >= flux2.examples.eval.SampleGrid.LABEL_WIDTH + 4 * cell + flux2.examples.eval.SampleGrid.GAP, "" + g.getWidth());
        // the first sample of the new word, enlarged 2x without smoothing: each of its pixels is a 2x2 block
        BufferedImage sample = ImageIO.read(out.resolve("base/a-zorblax-on-a-white-background_seed4.png").toFile());
        int x0 = flux2.examples.eval.SampleGrid.LABEL_WIDTH, y0 = flux2.examples.eval.SampleGrid.HEADER;
        for (int y = 0; y < 32; y += 7)
            for (int x = 0; x < 32; x += 5)
                assertEquals(sample.getRGB(x, y), g.getRGB(x0 + 2 * x + 1, y0 + 2 * y + 1), x + "," + y);
    }

    @Test
    void gridShowsTheNewWordThenOnePromptPerColourAndShape() {
        List<String> rows = ExampleEvaluateCommand.gridPrompts(ExampleEvaluateCommand.defaultPrompts());
        assertEquals(List.of(Shapes.newWordPrompt(), "a red circle on a white background", "a green square on a white background",
                "a blue triangle on a white background", "a yellow star on a white background"), rows);
    }

    @Test
    void missingLoraIsNamed() throws Exception {
        Path cfg = TinyProject.write(dir.resolve("project"), Map.of());
        CliRun r = CliRun.of("example", "evaluate", "--config", cfg.toString(), "--lora", dir.resolve("none.safetensors").toString(),
                "--out", dir.resolve("e").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("none.safetensors"), r.err());
    }
}
