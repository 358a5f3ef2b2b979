package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.config.ConfigException;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.Batch;
import flux2.trainer.data.Sample;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** caption_dropout_probability: how often captions are dropped, reproducibly, and that a dropped caption is the empty prompt. */
class CaptionDropoutTest {
    @TempDir Path dir;

    private static Batch batch(int n) {
        List<Sample> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(new Sample("d", null, "caption " + i));
        return new Batch(0, 0, "d", 32, 32, s);
    }

    @Test
    void dropsTheConfiguredShareReproducibly() {
        Batch b = batch(4);
        assertEquals(List.of("caption 0", "caption 1", "caption 2", "caption 3"), new CaptionDropout(0, 1).captions(b, 7));
        assertEquals(List.of("", "", "", ""), new CaptionDropout(1, 1).captions(b, 7));
        CaptionDropout d = new CaptionDropout(0.1, 42);
        int dropped = 0, n = 20000;
        for (long step = 0; step < n / 4; step++)
            for (String c : d.captions(b, step)) if (c.isEmpty()) dropped++;
        // binomial(20000, 0.1): standard deviation 42, so 5 sigma is 210
        assertEquals(0.1 * n, dropped, 210, "dropped captions of " + n);
        assertEquals(d.captions(b, 123), new CaptionDropout(0.1, 42).captions(b, 123), "a pure function of seed and step");
        int differ = 0;
        CaptionDropout other = new CaptionDropout(0.5, 43), half = new CaptionDropout(0.5, 42);
        for (long step = 0; step < 50; step++) if (!half.captions(b, step).equals(other.captions(b, step))) differ++;
        assertTrue(differ > 25, "another seed drops other captions (" + differ + " of 50 batches differ)");
        assertThrows(IllegalArgumentException.class, () -> new CaptionDropout(1.5, 1));
    }

    @Test
    void droppedCaptionsTrainOnTheEmptyPrompt() throws Exception {
        Path cfg = TinyProject.write(dir.resolve("p"), Map.of("checkpoint_step_interval", 100, "validation_step_interval", 100, "max_train_steps", 3));
        byte[] allDropped = run(cfg, "all", "1.0");
        byte[] kept = run(cfg, "kept", "0");
        // the same run on other captions: with every caption dropped, the captions cannot matter
        try (Stream<Path> s = Files.list(dir.resolve("p/data"))) {
            for (Path t : s.filter(f -> f.toString().endsWith(".txt")).toList()) Files.writeString(t, "something else entirely");
        }
        byte[] otherCaptions = run(cfg, "other", "1.0");
        assertArrayEquals(allDropped, otherCaptions, "all captions dropped: the LoRA does not depend on them");
        assertFalse(java.util.Arrays.equals(allDropped, kept), "dropping captions changes training");
        assertFalse(java.util.Arrays.equals(kept, run(cfg, "kept-other", "0")), "kept captions do matter");
    }

    private byte[] run(Path cfg, String name, String probability) throws Exception {
        TrainConfig c = new ConfigLoader(dir, Map.of()).load(cfg, List.of("--output_dir", dir.resolve(name).toString(),
                "--caption_dropout_probability", probability));
        assertEquals(Double.parseDouble(probability), c.training().loss().captionDropout());
        Trainer.Result r = new Trainer(c, new PrintStream(new ByteArrayOutputStream())).run();
        return Files.readAllBytes(r.loraFile());
    }

    @Test
    void probabilityAboveOneIsRejectedByName() throws Exception {
        Path cfg = TinyProject.write(dir.resolve("p"), Map.of("caption_dropout_probability", 1.5));
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader(dir, Map.of()).load(cfg, List.of()));
        assertTrue(e.getMessage().contains("caption_dropout_probability") && e.getMessage().contains("1.5"), e.getMessage());
    }
}
