package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.examples.TinyProject;
import flux2.trainer.folders.FolderBusyException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state a training run leaves in its folders when runs collide, crash or diverge. */
class RunStateTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    /** A stream that keeps what is printed, and holds the printing thread at the first line containing {@code pauseAt}. */
    private static final class Log extends PrintStream {
        final ByteArrayOutputStream bytes;
        final CountDownLatch reached = new CountDownLatch(1), resume = new CountDownLatch(1);
        private final String pauseAt;

        Log(String pauseAt) {
            this(new ByteArrayOutputStream(), pauseAt);
        }

        private Log(ByteArrayOutputStream bytes, String pauseAt) {
            super(bytes, true, StandardCharsets.UTF_8);
            this.bytes = bytes;
            this.pauseAt = pauseAt;
        }

        @Override
        public void println(String x) {
            super.println(x);
            if (pauseAt != null && x != null && x.contains(pauseAt) && reached.getCount() > 0) {
                reached.countDown();
                try {
                    resume.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        String text() { return bytes.toString(StandardCharsets.UTF_8); }
    }

    @Test
    void aSecondRunOnTheSameOutputFolderIsRefusedWhileTheFirstRuns() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 3, "checkpoint_step_interval", 1));
        Log first = new Log("training ");
        CompletableFuture<Trainer.Result> running = CompletableFuture.supplyAsync(() -> {
            try {
                return new Trainer(load(cfg), first).run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try {
            assertTrue(first.reached.await(60, TimeUnit.SECONDS), "the first run reached training: " + first.text());
            Log second = new Log(null);
            FolderBusyException e = assertThrows(FolderBusyException.class, () -> new Trainer(load(cfg), second).run());
            assertTrue(e.getMessage().contains("in use by another run: pid " + ProcessHandle.current().pid() + " "), e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("output").toRealPath().resolve(".flux2.lock").toString()), e.getMessage());
            assertFalse(second.text().contains("text cache"), "refused before any work: " + second.text());
        } finally {
            first.resume.countDown();
        }
        assertEquals(3, running.get(120, TimeUnit.SECONDS).steps());
        assertEquals(List.of(1L, 2L, 3L), Metrics.read(dir.resolve("output/metrics.jsonl")).stream().map(Metrics.Line::step).toList(),
                "one run's metrics, once");
        // released at the end: the folder can be trained in again
        new Trainer(load(cfg, "--max_train_steps", "4"), new Log(null)).run();
    }

    @Test
    void explodedCheckpointsAreMarkedKeptApartAndSkippedByTheNextResume() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("checkpoint_step_interval", 1, "checkpoints_total_limit", 1, "max_grad_norm", 0));
        Path out = dir.resolve("output");
        new Trainer(load(cfg), new Log(null)).stopAfter(2).run();
        assertTrue(TrainingState.read(out.resolve("checkpoint-2/training_state.json")).verdict().good());

        // learning rate 1e6: finite weights of 1e6 and more after the first step
        Log wild = new Log(null);
        try {
            new Trainer(load(cfg, "--learning_rate", "1e6", "--max_train_steps", "5"), wild).stopAfter(5).run();
        } catch (TrainingStopped stopped) {
            assertTrue(stopped.getMessage().contains("resume from it with resume_from_checkpoint \"checkpoint-2\""), stopped.getMessage());
        }
        assertTrue(wild.text().contains("resumed from " + out.resolve("checkpoint-2") + " at step 2"), wild.text());
        assertTrue(wild.text().contains("warning: " + out.resolve("checkpoint-3") + " failed the check of its numbers: the largest |weight| is "),
                wild.text());
        assertTrue(wild.text().contains("the newest good checkpoint is " + out.resolve("checkpoint-2")), wild.text());
        CheckpointVerdict v3 = TrainingState.read(out.resolve("checkpoint-3/training_state.json")).verdict();
        assertFalse(v3.good(), v3.toString());
        assertTrue(v3.maxAbsWeight() > 1e5, v3.toString());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")), "checkpoints_total_limit 1 never prunes the newest good checkpoint");

        // the normal learning rate again: "latest" resumes from the good checkpoint, not from the exploded ones
        Log calm = new Log(null);
        Trainer.Result r = new Trainer(load(cfg, "--max_train_steps", "4"), calm).run();
        assertEquals(4, r.steps());
        assertTrue(calm.text().contains("resumed from " + out.resolve("checkpoint-2") + " at step 2"), calm.text());
        assertTrue(calm.text().contains("warning: skipping " + out.resolve("checkpoint-3") + ": its numbers failed the check when it was saved"), calm.text());
        assertTrue(Double.isFinite(r.lastLoss()) && r.lastLoss() < 100, "loss " + r.lastLoss());
        assertTrue(TrainingState.read(out.resolve("checkpoint-4/training_state.json")).verdict().good());
    }

    @Test
    void divergenceSaysThatNoCheckpointPassedWhenNoneDid() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("learning_rate", 1e30, "max_grad_norm", 0, "checkpoint_step_interval", 1, "max_train_steps", 6));
        TrainingStopped e = assertThrows(TrainingStopped.class, () -> new Trainer(load(cfg), new Log(null)).run());
        assertTrue(e.getMessage().contains("No checkpoint of this run passed the check of its numbers: start again (resume_from_checkpoint \"none\")"),
                e.getMessage());
        assertFalse(TrainingState.read(dir.resolve("output/checkpoint-1/training_state.json")).verdict().good());
        // and "latest" does not resume from what the diverged run saved
        Log again = new Log(null);
        new Trainer(load(cfg, "--learning_rate", "1e-3", "--max_train_steps", "1"), again).run();
        assertFalse(again.text().contains("resumed from"), again.text());
        assertTrue(again.text().contains("warning: skipping " + dir.resolve("output/checkpoint-1")), again.text());
    }

    @Test
    void aNewRunCleansWhatInterruptedRunsLeftAndKeepsEarlierMetricsAside() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 1));
        Path out = Files.createDirectories(dir.resolve("output"));
        List<Path> garbage = List.of(out.resolve(".pytorch_lora_weights.safetensors.9c0ffee1.tmp"), out.resolve(".checkpoint-7.tmp/optimizer.safetensors"),
                out.resolve(".trash-checkpoint-3.5a5a/lora_parameters.safetensors"), out.resolve("checkpoint-5/lora_parameters.safetensors"),
                out.resolve("validation_images/.step_2_validation_0_32x32.png.ab12.tmp"), dir.resolve("cache/text/.0123-flux2.safetensors.77aa.tmp"),
                dir.resolve("cache/vae/.4567.safetensors.88bb.tmp"));
        for (Path g : garbage) {
            Files.createDirectories(g.getParent());
            Files.writeString(g, "half");
        }
        Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"loss\":0.4}\n{\"step\":3,\"lo");
        Log log = new Log(null);
        new Trainer(load(cfg), log).run();
        for (Path g : garbage) {
            Path top = g.getParent().equals(out) || g.getParent().getFileName().toString().equals("validation_images")
                    || g.getParent().getParent().equals(dir.resolve("cache")) ? g : g.getParent();
            assertFalse(Files.exists(top), top + " is removed");
            assertTrue(log.text().contains("cleaned up after an interrupted run: removed " + top), top + " in:\n" + log.text());
        }
        assertEquals(List.of(1L), Metrics.read(out.resolve("metrics.jsonl")).stream().map(Metrics.Line::step).toList());
        Path aside;
        try (Stream<Path> s = Files.list(out)) {
            aside = s.filter(p -> p.getFileName().toString().matches("metrics-.*\\.jsonl")).findFirst().orElseThrow();
        }
        assertTrue(Files.readString(aside).startsWith("{\"step\":1,\"loss\":0.5}\n{\"step\":2"), "the earlier history is kept");
        assertTrue(log.text().contains("the metrics of an earlier run in this folder were moved to " + aside), log.text());
    }

    @Test
    void aResumeToleratesAMetricsLineCutShort() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 4, "checkpoint_step_interval", 2));
        Path out = dir.resolve("output");
        new Trainer(load(cfg), new Log(null)).stopAfter(2).run();
        Files.writeString(out.resolve("metrics.jsonl"), "{\"step\":3,\"lo", java.nio.file.StandardOpenOption.APPEND); // the disk filled up
        Log log = new Log(null);
        new Trainer(load(cfg), log).run();
        assertTrue(log.text().contains("warning: " + out.resolve("metrics.jsonl") + " line 3 is incomplete"), log.text());
        assertEquals(List.of(1L, 2L, 3L, 4L), Metrics.read(out.resolve("metrics.jsonl"), w -> fail(w)).stream().map(Metrics.Line::step).toList());
    }

}
