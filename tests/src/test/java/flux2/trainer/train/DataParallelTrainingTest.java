package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.examples.TinyProject;
import flux2.tensor.Backends;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.LocalCollectives;
import flux2.tensor.collective.RankEnv;
import flux2.tests.TensorFiles;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training with its ranks as threads of this JVM (in-JVM collectives): W ranks of batch b give the LoRA
 * of one process with batch W x b, with LoRA dropout, sigma schedules, random guidance, caption dropout, gradient
 * accumulation and short batches that leave ranks empty; a checkpoint re-shards onto another number of processes with
 * the same global batch and is refused with another one; rank 0 alone writes the run's files.
 */
class DataParallelTrainingTest {
    @TempDir Path dir;

    private TrainConfig load(Path cfg, String... overrides) {
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    /** Runs the config on n ranks, each a thread; returns each rank's result or its error, and what rank 0 printed. */
    private List<Object> ranks(int n, TrainConfig c, ByteArrayOutputStream rankZeroLog) throws Exception {
        List<Collectives> group = LocalCollectives.group(n, Duration.ofSeconds(120));
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Object>> f = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                f.add(pool.submit(() -> {
                    RankEnv env = new RankEnv(rank, n, rank, n, RankEnv.Launcher.TORCHRUN, "127.0.0.1", 1, Duration.ofSeconds(120), Duration.ofSeconds(120));
                    DataParallel dp = DataParallel.of(group.get(rank), env, Backends.cpu(), c.training().batches().size());
                    PrintStream out = new PrintStream(rank == 0 && rankZeroLog != null ? rankZeroLog : new ByteArrayOutputStream(), true);
                    try {
                        return new Trainer(c, out).parallel(dp).run();
                    } catch (Exception e) {
                        dp.abort(e.getMessage());
                        return e;
                    }
                }));
            }
            List<Object> out = new ArrayList<>();
            for (Future<Object> x : f) out.add(x.get(300, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private void sameAsOneProcess(int world, Map<String, Object> settings) throws Exception {
        sameAsOneProcess(world, settings, () -> {});
    }

    /** As {@link #sameAsOneProcess(int, Map)}, with {@code change} applied to the written project first. */
    private void sameAsOneProcess(int world, Map<String, Object> settings, ThrowingRunnable change) throws Exception {
        Path cfg = TinyProject.write(dir, settings);
        change.run();
        int b = ((Number) settings.getOrDefault("train_batch_size", 1)).intValue();
        new Trainer(load(cfg, "--output_dir", dir.resolve("one").toString(), "--train_batch_size", Integer.toString(world * b)),
                new PrintStream(new ByteArrayOutputStream())).run();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Object> results = ranks(world, load(cfg, "--output_dir", dir.resolve("many").toString(), "--num_processes", Integer.toString(world)), log);
        for (Object r : results) assertInstanceOf(Trainer.Result.class, r, String.valueOf(r));
        TensorFiles.assertClose(dir.resolve("one/pytorch_lora_weights.safetensors"), dir.resolve("many/pytorch_lora_weights.safetensors"), 1e-5);
        List<Metrics.Line> one = Metrics.read(dir.resolve("one/metrics.jsonl")), many = Metrics.read(dir.resolve("many/metrics.jsonl"));
        assertEquals(one.size(), many.size());
        for (int i = 0; i < one.size(); i++) {
            assertEquals(one.get(i).loss(), many.get(i).loss(), 1e-5 * one.get(i).loss(), "loss of step " + (i + 1));
            assertEquals(one.get(i).gradNorm(), many.get(i).gradNorm(), 1e-5 * one.get(i).gradNorm(), "gradient norm of step " + (i + 1));
        }
        assertTrue(log.toString().contains("batch " + b + " on each of " + world + " processes"), log.toString());
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void twoRanksOfBatchOneTrainTheLoraOfOneProcessOfBatchTwo() throws Exception {
        // LoRA dropout 0.1 (the default) draws its masks per sample position too
        sameAsOneProcess(2, Map.of("max_train_steps", 3, "lr_scheduler", "constant", "max_grad_norm", 0.01, "grad_clip_method", "norm"));
    }

    @Test
    void schedulesGuidanceCaptionDropoutAndAccumulationAreDrawnPerSamplePosition() throws Exception {
        sameAsOneProcess(2, Map.of("max_train_steps", 2, "gradient_accumulation_steps", 2, "flow_use_beta_schedule", true,
                "flux_guidance_mode", "random-range", "caption_dropout_probability", 0.5));
    }

    @Test
    void aShortBatchLeavesRanksEmptyAndStillTrainsLikeOneProcess() throws Exception {
        // 4 images in batches of 3: each epoch ends with a batch of 1, so ranks 1 and 2 get nothing
        sameAsOneProcess(3, Map.of("max_train_steps", 4, "disable_bucket_pruning", true, "flow_use_uniform_schedule", true));
    }

    @Test
    void everyRankLeavesOutTheImageRankZeroCouldNotDecode() throws Exception {
        // rank 0 tries the image again and leaves it out; rank 1 finds it missing from the caches: both train on the other three
        sameAsOneProcess(2, Map.of("max_train_steps", 3), () -> {
            Path img = dir.resolve("data/img1.png");
            byte[] b = Files.readAllBytes(img);
            Files.write(img, java.util.Arrays.copyOf(b, b.length / 2));
        });
    }

    @Test
    void aStopRequestStopsEveryRankAfterTheSameStep() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 50, "checkpoint_step_interval", 100));
        TrainConfig c = load(cfg, "--output_dir", dir.resolve("stopped").toString(), "--num_processes", "2");
        Files.createDirectories(c.outputDir());
        StopRequest.request(c.outputDir());
        // rank 0 alone reads the request; rank 1 going on to step 2 would wait for it there until the timeout
        List<Object> r = ranks(2, c, null);
        for (Object x : r) {
            Trainer.Result result = assertInstanceOf(Trainer.Result.class, x, String.valueOf(x));
            assertEquals(1, result.steps());
            assertNull(result.loraFile(), "stopped: no final LoRA");
        }
        assertTrue(Files.isRegularFile(c.outputDir().resolve("checkpoint-1/training_state.json")));
        assertFalse(Files.exists(c.outputDir().resolve(StopRequest.FILE_NAME)), "the request is consumed");
        List<String> events = Files.readAllLines(c.outputDir().resolve(flux2.trainer.events.EventLog.FILE_NAME));
        assertTrue(events.getLast().contains("\"stopped\""), events.getLast());
    }

    @Test
    void aCheckpointResumesOnAnotherNumberOfProcessesWithTheSameGlobalBatch() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 4, "checkpoint_step_interval", 2));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        new Trainer(load(cfg, "--output_dir", dir.resolve("straight").toString(), "--train_batch_size", "2"), quiet).run();
        // two steps on one process of batch 2, the rest on two processes of batch 1
        new Trainer(load(cfg, "--output_dir", dir.resolve("resharded").toString(), "--train_batch_size", "2"), quiet).stopAfter(2).run();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Object> rest = ranks(2, load(cfg, "--output_dir", dir.resolve("resharded").toString(), "--num_processes", "2"), log);
        for (Object r : rest) assertInstanceOf(Trainer.Result.class, r, String.valueOf(r));
        assertTrue(log.toString().contains("resuming checkpoint-2 of 1 process x train_batch_size 2 (global batch 2) on 2 processes x train_batch_size 1"
                + " (global batch 2): the global batch of 2 is the same, so the run continues exactly"), log.toString());
        TensorFiles.assertClose(dir.resolve("straight/pytorch_lora_weights.safetensors"), dir.resolve("resharded/pytorch_lora_weights.safetensors"), 1e-5);

        // another global batch cannot continue the data order
        List<Object> refused = ranks(2, load(cfg, "--output_dir", dir.resolve("resharded").toString(), "--num_processes", "2",
                "--max_train_steps", "6", "--train_batch_size", "2"), null);
        Exception e = assertInstanceOf(IllegalArgumentException.class, refused.get(0));
        assertEquals(dir.resolve("resharded/checkpoint-4") + " was written by 2 processes x train_batch_size 1 (global batch 2); this run has 2 processes"
                + " x train_batch_size 2 (global batch 4). A resumed run keeps the global batch (num_processes x train_batch_size = 2) so that it continues"
                + " the same data order: choose num_processes and train_batch_size whose product is 2, or start afresh with resume_from_checkpoint \"none\"",
                e.getMessage());
    }

    @Test
    void rankZeroAloneWritesAndTheOtherRanksReportNothing() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "checkpoint_step_interval", 1, "validation_step_interval", 1));
        List<Object> r = ranks(2, load(cfg, "--output_dir", dir.resolve("out").toString()), null);
        Trainer.Result zero = (Trainer.Result) r.get(0), one = (Trainer.Result) r.get(1);
        assertFalse(zero.validationImages().isEmpty());
        assertTrue(one.validationImages().isEmpty(), "rank 1 validates nothing");
        try (var s = Files.list(dir.resolve("out/validation_images"))) {
            assertEquals(zero.validationImages().size(), s.count(), "one set of images");
        }
        assertEquals(2, Metrics.read(dir.resolve("out/metrics.jsonl")).size(), "one line per step, written once");
        assertTrue(Files.readString(dir.resolve("out/checkpoint-2/training_state.json")).contains("\"num_processes\" : 2"));
    }
}
