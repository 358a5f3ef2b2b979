package flux2.trainer.cache;

import static org.junit.jupiter.api.Assertions.*;

import flux2.model.vae.AutoEncoder;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.TrainingData;
import flux2.trainer.models.ModelParts;
import flux2.examples.TinyModel;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachesTest {
    @TempDir Path dir;

    private TrainConfig load() {
        return new ConfigLoader(dir, Map.of()).load(dir.resolve("config.json"), List.of());
    }

    private static String build(Caches caches, TrainConfig config, TrainingData data) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        caches.build(config, data.datasets(), List.of("a square"), new PrintStream(log, true));
        return log.toString();
    }

    @Test
    void buildsBothCachesOnceAndRebuildsOnlyWhatChanged() throws Exception {
        TinyProject.write(dir, Map.of());
        TrainConfig config = load();
        TrainingData data = TrainingData.open(config, 42, s -> {});
        Caches caches = Caches.of(config, data.datasets());
        String log = build(caches, config, data);
        assertTrue(log.contains("0 of 5 captions cached") && log.contains("0 of 4 images cached"), log);

        List<ImageEntry> entries = data.datasets().getFirst().entries();
        LatentCache lat = caches.latents("shapes");
        try (TensorArena a = TensorArena.open("t"); AutoEncoder vae = ModelParts.vae(config.model().location())) {
            for (ImageEntry e : entries) {
                Tensor cached = lat.get(e);
                assertArrayEquals(new int[]{16, 4, 4}, cached.shape());
                Tensor direct = vae.encode(Caches.trainingImage(e).toTensor()).select(0, 0);
                assertArrayEquals(direct.contiguous().toFloatArray(), cached.toFloatArray(), e.relativePath());
            }
            assertArrayEquals(new int[]{TinyModel.PROMPT_LENGTH, 48}, caches.text().get("a red square").shape(),
                    "padded to the tokenizer's model_max_length");
        }

        // a second build finds everything valid and loads no encoder
        long stamp = Files.getLastModifiedTime(lat.file(entries.getFirst())).toMillis();
        log = build(caches, config, data);
        assertTrue(log.contains("5 of 5 captions cached") && log.contains("4 of 4 images cached"), log);
        assertEquals(stamp, Files.getLastModifiedTime(lat.file(entries.getFirst())).toMillis());

        // a new caption adds one text entry; another resolution makes every latent stale
        Files.writeString(dir.resolve("data/img0.txt"), "a crimson square");
        Path backends = dir.resolve("multidatabackend.json");
        Files.writeString(backends, Files.readString(backends).replace("\"resolution\" : 64", "\"resolution\" : 48"));
        TrainConfig changed = load();
        TrainingData data2 = TrainingData.open(changed, 42, s -> {});
        Caches caches2 = Caches.of(changed, data2.datasets());
        ImageEntry first = data2.datasets().getFirst().entries().getFirst();
        assertFalse(caches2.latents("shapes").has(first));
        log = build(caches2, changed, data2);
        assertTrue(log.contains("4 of 5 captions cached") && log.contains("0 of 4 images cached"), log);
        try (TensorArena a = TensorArena.open("t")) {
            assertArrayEquals(new int[]{16, 3, 3}, caches2.latents("shapes").get(first).shape());
        }
    }

    @Test
    void anotherModelInvalidatesEntries() throws Exception {
        TinyProject.write(dir, Map.of());
        TrainConfig config = load();
        TrainingData data = TrainingData.open(config, 42, s -> {});
        Caches caches = Caches.of(config, data.datasets());
        build(caches, config, data);
        TinyModel.write(dir.resolve("model"), 8); // same shapes, other weights
        Caches other = Caches.of(config, data.datasets());
        assertFalse(other.latents("shapes").has(data.datasets().getFirst().entries().getFirst()));
        assertFalse(other.text().has("a red square"));
        assertTrue(caches.text().has("a red square"), "entries of the first model stay where they were");
    }
}
