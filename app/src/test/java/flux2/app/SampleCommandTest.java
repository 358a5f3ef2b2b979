package flux2.app;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import flux2.app.Main;
import flux2.examples.TinyModel;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleCommandTest {
    @TempDir Path dir;

    private int[] pixels(Path png) throws Exception {
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(32, img.getWidth());
        assertEquals(48, img.getHeight());
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private int sample(Path model, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("sample", "--model", model.toString(), "--prompt", "a red square",
                "--width", "32", "--height", "48", "--steps", "2", "--seed", "5", "-o", out.toString()));
        args.addAll(List.of(extra));
        return Main.run(args.toArray(String[]::new));
    }

    @Test
    void samplesWithAndWithoutLora() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        Path lora = dir.resolve("lora.safetensors");
        try (TensorArena a = TensorArena.open("t")) {
            Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
            Lora l = Lora.attach(m, LoraTargets.preset("all"), new Lora.Config(2, 2, 0, 1), new Rng(1), a);
            for (var layer : l.layers().values()) new Rng(2).fillNormal(layer.b.weight.value(), 0, 0.5);
            LoraFiles.save(lora, l, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
        }
        assertEquals(0, sample(model, dir.resolve("base.png")));
        assertEquals(0, sample(model, dir.resolve("base2.png")));
        assertEquals(0, sample(model, dir.resolve("lora.png"), "--lora", lora.toString()));
        assertEquals(0, sample(model, dir.resolve("zero.png"), "--lora", lora.toString(), "--lora-scale", "0"));
        int[] base = pixels(dir.resolve("base.png"));
        assertArrayEquals(base, pixels(dir.resolve("base2.png")), "same seed, same image");
        assertArrayEquals(base, pixels(dir.resolve("zero.png")), "a LoRA at strength 0 changes nothing");
        assertFalse(java.util.Arrays.equals(base, pixels(dir.resolve("lora.png"))), "the LoRA changes the image");
    }

    @Test
    void theComfyuiFileAndAFileWithKeysToSkipDrawTheDiffusersFilesImage() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        Path run = java.nio.file.Files.createDirectories(dir.resolve("run")), mixed = dir.resolve("mixed.safetensors");
        try (TensorArena a = TensorArena.open("t")) {
            Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
            // alpha 4 at rank 2: the ComfyUI file must carry the scale in B
            Lora l = Lora.attach(m, LoraTargets.preset("all"), new Lora.Config(2, 4, 0, 1), new Rng(1), a);
            for (var layer : l.layers().values()) new Rng(2).fillNormal(layer.b.weight.value(), 0, 0.3);
            LoraFiles.saveForClients(run, flux2.model.flux2.lora.LoraWeights.of(l), LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
            java.util.Map<String, flux2.tensor.Tensor> t = new java.util.LinkedHashMap<>();
            try (var src = flux2.tensor.io.Checkpoints.open(run.resolve(LoraFiles.FILE_NAME))) {
                for (String n : src.names()) t.put(n, src.tensor(n));
                t.put("text_encoder.layers.0.self_attn.q_proj.lora_A.weight", flux2.tensor.Tensor.zeros(DType.F32, 2, 8));
                flux2.tensor.io.SafetensorsWriter.write(mixed, t, src.metadata());
            }
        }
        assertEquals(0, sample(model, dir.resolve("diffusers.png"), "--lora", run.resolve(LoraFiles.FILE_NAME).toString()));
        assertEquals(0, sample(model, dir.resolve("comfy.png"), "--lora", run.resolve(LoraFiles.COMFYUI_FILE_NAME).toString()));
        CliRun r = CliRun.of("sample", "--model", model.toString(), "--prompt", "a red square", "--width", "32", "--height", "48",
                "--steps", "2", "--seed", "5", "-o", dir.resolve("mixed.png").toString(), "--lora", mixed.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(x -> x.startsWith("warning: " + mixed + ": skipped 1 key")).count(), r.err());
        assertTrue(r.err().contains("text_encoder.layers.0.self_attn.q_proj.lora_A.weight"), r.err());
        int[] want = pixels(dir.resolve("diffusers.png"));
        assertArrayEquals(want, pixels(dir.resolve("comfy.png")));
        assertArrayEquals(want, pixels(dir.resolve("mixed.png")));
        assertEquals(0, sample(model, dir.resolve("plain.png")));
        assertFalse(java.util.Arrays.equals(want, pixels(dir.resolve("plain.png"))), "the LoRA changes the image");
    }

    @Test
    void classifierFreeGuidanceRunsTheNegativePrompt() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        assertEquals(0, sample(model, dir.resolve("base.png")));
        assertEquals(0, sample(model, dir.resolve("one.png"), "--guidance-real", "1", "--negative-prompt", "a blue circle"));
        assertEquals(0, sample(model, dir.resolve("cfg.png"), "--guidance-real", "3", "--negative-prompt", ""));
        assertEquals(0, sample(model, dir.resolve("self.png"), "--guidance-real", "3", "--negative-prompt", "a red square"));
        int[] base = pixels(dir.resolve("base.png"));
        assertArrayEquals(base, pixels(dir.resolve("one.png")), "scale 1 is no guidance");
        assertFalse(java.util.Arrays.equals(base, pixels(dir.resolve("cfg.png"))), "guidance away from the empty prompt changes the image");
        // the prompt as its own negative: v_neg + 3 (v - v_neg) = v, up to float rounding of the PNG's 8 bits
        int[] self = pixels(dir.resolve("self.png"));
        for (int i = 0; i < base.length; i++)
            for (int sh = 0; sh < 24; sh += 8)
                assertTrue(Math.abs((base[i] >> sh & 255) - (self[i] >> sh & 255)) <= 1, "pixel " + i);
    }

    @Test
    void configGivesModelAndValidationSettingsAndCountWritesSeedsInARow() throws Exception {
        Path cfg = flux2.examples.TinyProject.write(dir.resolve("project"), java.util.Map.of());
        Path out = dir.resolve("samples");
        CliRun r = CliRun.of("sample", "--config", cfg.toString(), "--prompt", "a red circle", "--prompt", "a blue square",
                "--seed", "7", "--count", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        List<String> names;
        try (var s = java.nio.file.Files.list(out)) {
            names = s.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("a-blue-square_seed7.png", "a-blue-square_seed8.png", "a-blue-square_seed9.png",
                "a-red-circle_seed7.png", "a-red-circle_seed8.png", "a-red-circle_seed9.png"), names);
        BufferedImage img = ImageIO.read(out.resolve("a-red-circle_seed8.png").toFile());
        assertEquals(32, img.getWidth(), "validation_resolution of the config");
        assertEquals(32, img.getHeight());

        // the second image of the series is the single image of its seed
        Path single = dir.resolve("single.png");
        assertEquals(0, CliRun.of("sample", "--config", cfg.toString(), "--prompt", "a red circle", "--seed", "8", "-o", single.toString()).code());
        BufferedImage one = ImageIO.read(single.toFile());
        assertArrayEquals(img.getRGB(0, 0, 32, 32, null, 0, 32), one.getRGB(0, 0, 32, 32, null, 0, 32));
        BufferedImage other = ImageIO.read(out.resolve("a-red-circle_seed9.png").toFile());
        assertFalse(java.util.Arrays.equals(img.getRGB(0, 0, 32, 32, null, 0, 32), other.getRGB(0, 0, 32, 32, null, 0, 32)), "seeds differ");
    }

    @Test
    void severalImagesNeedAFolder() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        CliRun r = CliRun.of("sample", "--model", model.toString(), "--prompt", "x", "--count", "2", "-o", dir.resolve("x.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--out DIR"), r.err());
        r = CliRun.of("sample", "--model", model.toString(), "--prompt", "x", "--out", dir.toString(), "-o", dir.resolve("x.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not both"), r.err());
    }

    @Test
    void missingConfigIsNamed() {
        CliRun r = CliRun.of("sample", "--config", dir.resolve("nope.json").toString(), "--prompt", "x", "-o", dir.resolve("x.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nope.json"), r.err());
    }

    @Test
    void badSizeIsRefused() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        assertEquals(1, Main.run("sample", "--model", model.toString(), "--prompt", "x", "--width", "30", "-o", dir.resolve("x.png").toString()));
    }
}
