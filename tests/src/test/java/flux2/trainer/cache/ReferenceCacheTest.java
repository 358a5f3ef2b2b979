package flux2.trainer.cache;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.ReferenceSet;
import flux2.trainer.data.TrainingData;
import flux2.examples.TinyEditProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The latent caches of reference sets: built with the training latents, keyed by the conditioning settings. */
class ReferenceCacheTest {
    @TempDir Path dir;

    private Caches built(TrainConfig c, TrainingData data, ByteArrayOutputStream log) throws Exception {
        Caches caches = Caches.of(c, data);
        caches.build(c, data, List.of(), new PrintStream(log, true));
        return caches;
    }

    @Test
    void conditioningTypeAndPairingEnterTheKeys() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        TrainConfig strict = new ConfigLoader(dir, Map.of()).load(cfg, List.of());
        TrainingData data = TrainingData.open(strict, 42, s -> {});
        Caches caches = built(strict, data, new ByteArrayOutputStream());
        ReferenceSet set = data.referencesOf("edits").getFirst();
        ImageEntry e = set.byImage().values().iterator().next();
        assertTrue(caches.references(set).has(e));
        assertEquals(dir.resolve("output/cache/vae/references"), caches.references(set).dir());

        // the same folder as reference_loose: other entries (other file names and keys), built beside the strict ones
        Path backends = dir.resolve("multidatabackend.json");
        java.nio.file.Files.writeString(backends, java.nio.file.Files.readString(backends).replace("reference_strict", "reference_loose"));
        TrainConfig loose = new ConfigLoader(dir, Map.of()).load(cfg, List.of());
        TrainingData data2 = TrainingData.open(loose, 42, s -> {});
        ReferenceSet set2 = data2.referencesOf("edits").getFirst();
        ImageEntry e2 = set2.of(data2.datasets().getFirst().entries().getFirst());
        LatentCache looseCache = Caches.of(loose, data2).references(set2);
        assertNotEquals(caches.references(set).file(e2), looseCache.file(e2));
        assertFalse(looseCache.has(e2));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        built(loose, data2, log);
        assertTrue(log.toString().contains("latent cache " + dir.resolve("output/cache/vae/references") + ": 0 of 4 images cached"), log.toString());
        assertTrue(log.toString().contains("latent cache " + dir.resolve("output/cache/vae/edits") + ": 4 of 4 images cached"), log.toString());
        assertTrue(caches.references(set).has(e), "the strict entries are still there");
    }
}
