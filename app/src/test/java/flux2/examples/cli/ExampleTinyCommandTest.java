package flux2.examples.cli;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.flux2.Flux2Config;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.examples.pretrain.VaeTraining;
import flux2.examples.shapes.Scene;
import flux2.examples.shapes.Shapes;
import flux2.app.Main;
import flux2.examples.TinyProject;
import flux2.examples.pretrain.MiniModel;
import flux2.trainer.models.ModelParts;
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
    void committedExampleIsWhatTheWriterWritesPlusThePretrainedModel() throws Exception {
        Path root = dir.resolve("examples/tiny");
        TinyProject.writeExample(root, Path.of("output/tiny"));
        List<Path> written, committed;
        try (Stream<Path> a = Files.walk(root); Stream<Path> b = Files.walk(COMMITTED)) {
            written = a.filter(Files::isRegularFile).map(root::relativize).sorted().toList();
            committed = b.filter(Files::isRegularFile).map(COMMITTED::relativize)
                    .filter(p -> !p.startsWith("model/transformer") && !p.startsWith("model/vae")).sorted().toList();
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
    void committedPretrainedModelHasTheMiniatureSizesAndItsVaeReconstructsShapes() throws Exception {
        // the weights come from 'example pretrain' (minutes of training): CI checks their sizes and what the VAE does
        Path model = COMMITTED.resolve("model");
        assertEquals(MiniModel.transformerConfig(), ModelParts.transformerConfig(model.resolve("transformer")));
        try (TensorArena a = TensorArena.open("t"); AutoEncoder ae = AutoEncoder.load(model.resolve("vae"))) {
            assertEquals(MiniModel.vaeConfig(), ae.config());
            List<Scene> scenes = Shapes.scenes(99, 24);
            Tensor img = VaeTraining.images(scenes, MiniModel.IMAGE_SIZE);
            Tensor z = ae.encode(img);
            // the stored batch-norm statistics standardise the latents of unseen images of the dataset
            assertEquals(0, z.mean(0, 1, 2, 3).item(), 0.1);
            assertEquals(1, z.square().mean(0, 1, 2, 3).item(), 0.2);
            double mse = ae.decode(z).sub(img).square().mean(0, 1, 2, 3).item();
            assertTrue(mse < VAE_MSE_BOUND, "reconstruction MSE " + mse);
        }
    }

    /** Bound on the reconstruction MSE (pixels in [-1, 1]) of the committed VAE, which measured 0.0048 on these images. */
    static final double VAE_MSE_BOUND = 0.01;

    @Test
    void refusesANonEmptyFolderWithoutForce() throws Exception {
        Path out = dir.resolve("x");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertEquals(2, Main.run("example", "tiny", "--out", out.toString()));
        assertFalse(Files.exists(out.resolve("config.json")));
        assertEquals(0, Main.run("example", "tiny", "--out", out.toString(), "--force"));
        assertTrue(Files.isRegularFile(out.resolve("model/text_encoder/model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("model/tokenizer/tekken.json")));
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }
}
