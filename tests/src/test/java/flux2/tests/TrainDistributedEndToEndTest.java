package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import flux2.dist.launch.MpiRun;
import flux2.model.flux2.lora.LoraFiles;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded example trained by two ranks through the real jar and Open MPI: {@code mpirun -np 2 java -jar
 * flux2-trainer.jar train} gives the LoRA of one process with twice the batch, and a rank killed in the middle of
 * {@code train --num_processes 2} ends the whole job, leaves no process running and its last checkpoint as it was.
 * Skips with a message where Open MPI is not installed. The tests share one copy of the example, so that the caches the
 * first run's rank 0 builds serve the later runs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrainDistributedEndToEndTest {
    /** Quick settings: two steps, validation of one image with one sampling step at the end only. */
    static final List<String> QUICK = List.of("--max_train_steps", "2", "--checkpoint_step_interval", "100", "--validation_on_startup", "false",
            "--validation_num_inference_steps", "1", "--num_validation_images", "1", "--seed", "5");

    @TempDir static Path work;
    static Path mpirun;

    @BeforeAll
    static void needs() throws IOException {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        mpirun = MpiRun.find();
        assumeTrue(mpirun != null, "Open MPI's mpirun is not installed (apt-get install openmpi-bin): the multi-process tests skip");
        TrainEndToEndTest.copy(TrainEndToEndTest.EXAMPLE, work.resolve("examples/tiny"));
    }

    private static ProcessBuilder inWork(List<String> cmd, String log) {
        File out = work.resolve(log).toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(out);
        pb.environment().remove("FLUX2_RELAUNCHED");
        pb.environment().put("FLUX2_DIST_TIMEOUT", "60");
        return pb;
    }

    private static List<String> jar(String... args) {
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "-jar", JarLaunchTest.JAR.toAbsolutePath().toString(), "train",
                "--config", "examples/tiny/config.json"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    @Order(1)
    void twoRanksOfBatchOneTrainTheLoraOfOneProcessOfBatchTwo() throws Exception {
        List<String> rank = jar("--output_dir", "output/two", "--train_batch_size", "1");
        rank.addAll(QUICK);
        Process p = inWork(MpiRun.command(mpirun, 2, rank), "two.txt").start();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "mpirun did not finish in 150 s: " + Files.readString(work.resolve("two.txt")));
        String log = Files.readString(work.resolve("two.txt"));
        assertEquals(0, p.exitValue(), log);
        assertTrue(log.contains("rank 0 of 2 on cpu (pid ") && log.contains("rank 1 of 2 on cpu (pid "), "each rank says where it runs: " + log);
        assertTrue(log.contains("started by mpirun: rank 1 of 2"), log);
        assertTrue(log.contains("batch 1 on each of 2 processes x 1 accumulation"), log);
        assertEquals(1, count(log, "done: 2 steps; LoRA at "), "rank 0 alone reports: " + log);
        assertEquals(1, count(log, "text cache "), "rank 0 alone builds the caches: " + log);

        // one process with the global batch, in this JVM, on the caches the ranks built
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        List<String> single = new ArrayList<>(List.of("--output_dir", "output/one", "--train_batch_size", "2"));
        single.addAll(QUICK);
        new Trainer(new ConfigLoader(work, Map.of()).load(Path.of("examples/tiny/config.json"), single), new PrintStream(one, true)).run();
        assertTrue(one.toString().contains("26 of 26 captions cached"), one.toString());
        TensorFiles.assertClose(work.resolve("output/one").resolve(LoraFiles.FILE_NAME), work.resolve("output/two").resolve(LoraFiles.FILE_NAME), 1e-5);
    }

    @Test
    @Order(2)
    void aKilledRankEndsTheJobAndLeavesTheLastCheckpointAsItWas() throws Exception {
        List<String> cmd = jar("--num_processes", "2", "--max_train_steps", "500", "--checkpoint_step_interval", "2", "--validation_on_startup", "false",
                "--validation_step_interval", "1000", "--output_dir", "output/killed");
        Process job = inWork(cmd, "killed.txt").start();
        Path out = work.resolve("output/killed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (!Files.isRegularFile(out.resolve("checkpoint-2/training_state.json")) || lines(out.resolve("metrics.jsonl")) < 3) {
            assertTrue(job.isAlive(), "the job ended early: " + Files.readString(work.resolve("killed.txt")));
            assertTrue(System.nanoTime() < deadline, "no checkpoint-2 within 150 s: " + Files.readString(work.resolve("killed.txt")));
            Thread.sleep(200);
        }
        String log = Files.readString(work.resolve("killed.txt"));
        long rank0 = pid(log, 0), rank1 = pid(log, 1);
        Map<String, String> before = digests(out.resolve("checkpoint-2"));
        ProcessHandle.of(rank1).orElseThrow().destroyForcibly();
        long killed = System.nanoTime();
        assertTrue(job.waitFor(60, TimeUnit.SECONDS), "the job did not end within 60 s of the kill: " + Files.readString(work.resolve("killed.txt")));
        double seconds = (System.nanoTime() - killed) / 1e9;
        log = Files.readString(work.resolve("killed.txt"));
        assertNotEquals(0, job.exitValue(), log);
        assertTrue(log.contains("rank 1"), "the message names the rank: " + log);
        assertTrue(log.contains("error: the job ended with exit code"), log);
        for (long pid : new long[] {rank0, rank1}) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < until) Thread.sleep(100);
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "rank process " + pid + " is still running");
        }
        assertEquals(before, digests(out.resolve("checkpoint-2")), "checkpoint-2 is untouched");
        assertFalse(Files.exists(out.resolve(LoraFiles.FILE_NAME)), "no final LoRA");
        assertTrue(seconds < 60, "ended " + seconds + " s after the kill");
    }

    private static long pid(String log, int rank) {
        Matcher m = Pattern.compile("rank " + rank + " of 2 on cpu \\(pid (\\d+)").matcher(log);
        assertTrue(m.find(), "rank " + rank + "'s start line: " + log);
        return Long.parseLong(m.group(1));
    }

    private static int lines(Path f) throws IOException {
        return Files.isRegularFile(f) ? Files.readAllLines(f).size() : 0;
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) n++;
        return n;
    }

    /** SHA-256 of every file under a folder, by relative path. */
    private static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                out.put(dir.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
        return out;
    }
}
