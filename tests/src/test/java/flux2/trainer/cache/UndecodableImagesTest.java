package flux2.trainer.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.app.Main;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.Batch;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.Sample;
import flux2.trainer.data.TrainingData;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image whose header reads but whose pixels do not (truncated, damaged) passes the scan and fails when its latent is
 * made: it is left out with a message, the run goes on, the sampler never serves it, and every run leaves out the same.
 */
class UndecodableImagesTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of());
    }

    /** Cuts data/img1.png short: IHDR is intact, the pixel data ends early. */
    private void truncateOne() throws Exception {
        Path img = dir.resolve("data/img1.png");
        byte[] b = Files.readAllBytes(img);
        Files.write(img, Arrays.copyOf(b, b.length / 2));
    }

    private static Set<String> served(TrainingData data) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 3 * data.sampler().batchesPerEpoch(); i++) {
            Batch b = data.sampler().next();
            for (Sample s : b.samples()) seen.add(s.image().relativePath());
        }
        return seen;
    }

    @Test
    void anUndecodableImageIsLeftOutAndTheRestIsCached() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        truncateOne();
        TrainConfig config = load(cfg);
        TrainingData scanned = TrainingData.open(config, 42, s -> {});
        assertEquals(4, scanned.datasets().getFirst().entries().size(), "the header reads: the scan keeps it");
        Caches caches = Caches.of(config, scanned);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainingData data = caches.build(config, scanned, List.of("a square"), new PrintStream(log, true));
        String text = log.toString();
        assertTrue(text.contains("dataset 'shapes': skipped " + dir.resolve("data/img1.png") + ": truncated PNG"), text);
        assertTrue(text.contains("1 images left out because they cannot be decoded"), text);
        assertTrue(text.contains("dataset 'shapes': 3 images left, 1 left out as their latent could not be made"), text);
        // its caption is not encoded: 3 image captions and the prompt
        assertTrue(text.contains("0 of 4 captions cached"), text);
        assertTrue(text.indexOf("latent cache") < text.indexOf("text cache"), "latents first, so that an empty dataset fails before the text encoder loads");
        List<String> kept = data.datasets().getFirst().entries().stream().map(ImageEntry::relativePath).toList();
        assertEquals(List.of("img0.png", "img2.png", "img3.png"), kept);
        assertEquals(Set.copyOf(kept), served(data));
        assertEquals(1, data.datasets().getFirst().skipped().size());

        // a second run (a resume) leaves out the same image and plans the same batches
        TrainingData again = caches.build(config, TrainingData.open(config, 42, s -> {}), List.of("a square"), new PrintStream(new ByteArrayOutputStream()));
        assertEquals(kept, again.datasets().getFirst().entries().stream().map(ImageEntry::relativePath).toList());
        TrainingData first = caches.build(config, TrainingData.open(config, 42, s -> {}), List.of("a square"), new PrintStream(new ByteArrayOutputStream()));
        assertEquals(first.sampler().batchesPerEpoch(), again.sampler().batchesPerEpoch());
        for (int i = 0; i < 2 * again.sampler().batchesPerEpoch(); i++) assertEquals(first.sampler().next(), again.sampler().next(), "batch " + i);
    }

    @Test
    void aDatasetWithNoDecodableImageFailsBeforeTheTextEncoder() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        for (int i = 0; i < 4; i++) {
            Path img = dir.resolve("data/img" + i + ".png");
            byte[] b = Files.readAllBytes(img);
            Files.write(img, Arrays.copyOf(b, b.length - 12)); // IEND cut off
        }
        TrainConfig config = load(cfg);
        TrainingData scanned = TrainingData.open(config, 42, s -> {});
        Caches caches = Caches.of(config, scanned);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        var e = assertThrows(IllegalStateException.class, () -> caches.build(config, scanned, List.of(), new PrintStream(log, true)));
        assertTrue(e.getMessage().contains("dataset 'shapes' has no usable image in " + dir.resolve("data") + ": all 4 files were left out")
                && e.getMessage().contains("img0.png: " + dir.resolve("data/img0.png") + ": truncated PNG"), e.getMessage());
        assertFalse(log.toString().contains("text cache"), log.toString());
    }

    @Test
    void aTrainingRunGoesOnWithoutTheImage() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2));
        truncateOne();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream before = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(out, true));
            rc = Main.run("train", "--config", cfg.toString());
        } finally {
            System.setOut(before);
        }
        assertEquals(0, rc, out.toString());
        assertTrue(out.toString().contains("1 images left out because they cannot be decoded"), out.toString());
        assertTrue(Files.isRegularFile(dir.resolve("output/pytorch_lora_weights.safetensors")));
    }
}
