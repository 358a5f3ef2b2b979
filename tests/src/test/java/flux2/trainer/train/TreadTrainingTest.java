package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tread_config in training runs of the tiny model (1 double + 1 single block: blocks 0..1). */
class TreadTrainingTest {
    @TempDir Path dir;

    static String routes(double ratio) {
        return "{\"routes\": [{\"selection_ratio\": " + ratio + ", \"start_layer_idx\": 0, \"end_layer_idx\": -1}]}";
    }

    private Trainer.Result train(Path cfg, String out, String... overrides) throws Exception {
        List<String> o = new java.util.ArrayList<>(List.of("--output_dir", dir.resolve(out).toString()));
        o.addAll(List.of(overrides));
        TrainConfig c = new ConfigLoader(dir, Map.of()).load(cfg, o);
        return new Trainer(c, new PrintStream(new ByteArrayOutputStream())).run();
    }

    @Test
    void ratioZeroTrainsExactlyAsWithoutRouting() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "train_batch_size", 2, "disable_bucket_pruning", true));
        train(cfg, "plain");
        train(cfg, "zero", "--tread_config", routes(0));
        assertParams(dir.resolve("plain"), dir.resolve("zero"), true);
        assertEquals(Files.readAllLines(dir.resolve("plain/metrics.jsonl")).stream().map(l -> l.replaceAll(",\"seconds.*", "")).toList(),
                Files.readAllLines(dir.resolve("zero/metrics.jsonl")).stream().map(l -> l.replaceAll(",\"seconds.*", "")).toList());
    }

    @Test
    void routedRunTrainsDiffersAndResumesExactly() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 3, "train_batch_size", 2, "disable_bucket_pruning", true,
                "tread_config", com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(routes(0.5))));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainConfig c = new ConfigLoader(dir, Map.of()).load(cfg, List.of("--output_dir", dir.resolve("routed").toString()));
        Trainer.Result r = new Trainer(c, new PrintStream(log, true)).run();
        assertTrue(Double.isFinite(r.lastLoss()), "loss " + r.lastLoss());
        assertTrue(log.toString().contains("TREAD: 50% of image tokens skip blocks 0..1 (training steps only)"), log.toString());
        assertFalse(r.validationImages().isEmpty(), "validation ran (without routing) and wrote images");

        train(cfg, "plain", "--tread_config", "null");
        assertParams(dir.resolve("plain"), dir.resolve("routed"), false);

        // stop at step 1, resume: the selections of steps 2 and 3 are those of the straight run
        TrainConfig half = new ConfigLoader(dir, Map.of()).load(cfg, List.of("--output_dir", dir.resolve("resumed").toString()));
        new Trainer(half, new PrintStream(new ByteArrayOutputStream())).stopAfter(1).run();
        new Trainer(half, new PrintStream(new ByteArrayOutputStream())).run();
        assertParams(dir.resolve("routed"), dir.resolve("resumed"), true);
    }

    @Test
    void windowsOutsideTheModelAreAnErrorNamingTheConfig() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> train(cfg, "x", "--tread_config",
                "{\"routes\": [{\"selection_ratio\": 0.5, \"start_layer_idx\": 2, \"end_layer_idx\": -3}]}"));
        assertTrue(e.getMessage().startsWith(cfg.toString() + ": tread_config does not fit this model (1 double + 1 single blocks, indices -2..1)"), e.getMessage());
        assertTrue(e.getMessage().contains("start_layer_idx 2 is outside the 2 blocks"), e.getMessage());
    }

    /** The final LoRA parameters of two runs: bit-identical, or (same = false) different. */
    static void assertParams(Path a, Path b, boolean same) throws Exception {
        Path fa = last(a), fb = last(b);
        try (TensorSource x = Checkpoints.open(fa); TensorSource y = Checkpoints.open(fb)) {
            assertEquals(x.names(), y.names());
            boolean allEqual = true;
            for (String n : x.names()) {
                boolean eq = Arrays.equals(x.tensor(n).toFloatArray(), y.tensor(n).toFloatArray());
                if (same) assertTrue(eq, n);
                allEqual &= eq;
            }
            if (!same) assertFalse(allEqual, "the runs should differ");
        }
    }

    private static Path last(Path out) throws Exception {
        return new CheckpointStore(out, 100).list().getLast().resolve(CheckpointStore.PARAMS);
    }
}
