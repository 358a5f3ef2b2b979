package flux2.trainer.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.TrainingData;
import flux2.examples.TinyEditProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training image whose reference cannot be used is left out with it, whether the scan or the cache finds out. */
class BrokenReferencesTest {
    @TempDir Path dir;

    @Test
    void anUnusableReferenceTakesItsTrainingImageOut() throws Exception {
        Path cfg = TinyEditProject.write(dir, Map.of());
        List<Path> refs;
        try (Stream<Path> s = Files.list(dir.resolve("data/reference"))) {
            refs = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        Files.writeString(refs.get(0), "not an image"); // found by the scan
        byte[] png = Files.readAllBytes(refs.get(1));
        Files.write(refs.get(1), Arrays.copyOf(png, png.length / 2)); // found when its latent is made
        TrainConfig config = new ConfigLoader(dir, Map.of()).load(cfg, List.of());
        List<String> log = new ArrayList<>();
        TrainingData scanned = TrainingData.open(config, 42, log::add);
        String name0 = refs.get(0).getFileName().toString(), name1 = refs.get(1).getFileName().toString();
        assertTrue(log.stream().anyMatch(l -> l.contains("skipped " + refs.get(0) + " and its training image " + name0 + " of 'edits'")
                && l.contains("not a PNG, JPEG")), log.toString());
        String main = scanned.datasets().getFirst().config().id();
        assertEquals(3, scanned.datasets().getFirst().entries().size());
        assertEquals(3, scanned.referencesOf(main).getFirst().byImage().size());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TrainingData data = Caches.of(config, scanned).build(config, scanned, List.of(), new PrintStream(out, true));
        assertTrue(out.toString().contains("skipped " + name1 + ", whose reference is " + refs.get(1) + ": truncated PNG"), out.toString());
        List<String> kept = data.datasets().getFirst().entries().stream().map(ImageEntry::relativePath).toList();
        assertEquals(2, kept.size(), kept.toString());
        assertTrue(!kept.contains(name0) && !kept.contains(name1), kept.toString());
        assertEquals(java.util.Set.copyOf(kept), data.referencesOf(main).getFirst().byImage().keySet());
        for (int i = 0; i < 2 * data.sampler().batchesPerEpoch(); i++)
            data.sampler().next().samples().forEach(s -> assertTrue(kept.contains(s.image().relativePath()), s.image().relativePath()));
    }
}
