package flux2.trainer.cli;

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
import flux2.trainer.Main;
import flux2.trainer.example.TinyModel;
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
    void badSizeIsRefused() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        assertEquals(1, Main.run("sample", "--model", model.toString(), "--prompt", "x", "--width", "30", "-o", dir.resolve("x.png").toString()));
    }
}
