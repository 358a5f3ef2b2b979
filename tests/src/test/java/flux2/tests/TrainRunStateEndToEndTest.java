package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two training processes on one output folder through the real jar: the second is refused while the first runs;
 * the first is then killed (no chance to release anything), and a third run takes the folder over and resumes.
 */
class TrainRunStateEndToEndTest {
    @TempDir Path work;

    /** The trainer's JVM itself (with the flags the launcher would add), so that its process id is the lock holder's. */
    private Process start(String name, String... overrides) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JarLaunchTest.currentJava(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-jar", JarLaunchTest.JAR.toAbsolutePath().toString(),
                "train", "--config", "examples/tiny/config.json", "--validation_on_startup", "false", "--validation_step_interval", "100000",
                "--checkpoint_step_interval", "5", "--checkpoints_total_limit", "100"));
        cmd.addAll(List.of(overrides));
        File out = work.resolve(name + ".out").toFile(), err = work.resolve(name + ".err").toFile();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().put("FLUX2_THREADS", "2");
        return pb.start();
    }

    private String text(String name) throws Exception {
        return Files.readString(work.resolve(name + ".out")) + Files.readString(work.resolve(name + ".err"));
    }

    private int finish(Process p, String name) throws Exception {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " did not finish in 120 s: " + text(name));
        }
        return p.exitValue();
    }

    @Test
    void aSecondProcessIsRefusedAndAKilledRunsFolderIsTakenOver() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        copy(TrainEndToEndTest.EXAMPLE, work.resolve("examples/tiny"));
        Path out = work.resolve("output/tiny");

        Process first = start("first", "--max_train_steps", "3000");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.isRegularFile(out.resolve("checkpoint-5/training_state.json"))) {
                assertTrue(first.isAlive(), "the first run ended early: " + text("first"));
                assertTrue(System.nanoTime() < deadline, "no checkpoint-5 after 120 s: " + text("first"));
                Thread.sleep(100);
            }
            Process second = start("second", "--max_train_steps", "3000");
            assertEquals(1, finish(second, "second"), text("second"));
            assertTrue(text("second").contains("is in use by another run: pid " + first.pid() + " "), text("second"));
                        assertTrue(first.isAlive(), "the first run goes on");
        } finally {
            first.destroyForcibly(); // a crash: the system releases its lock, its lock file still names it
            first.waitFor(30, TimeUnit.SECONDS);
        }

        Process third = start("third", "--max_train_steps", "7", "--resume_from_checkpoint", "checkpoint-5");
        assertEquals(0, finish(third, "third"), text("third"));
        String log = text("third");
        assertTrue(log.contains("named pid " + first.pid() + " ") && log.contains("ended without releasing it; taking the folder over"), log);
        assertTrue(log.contains("resumed from " + out.toRealPath().resolve("checkpoint-5") + " at step 5"), log);
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(7, metrics.size(), "the killed run's steps after checkpoint-5 are replaced: " + metrics);
        for (int i = 0; i < 7; i++) assertTrue(metrics.get(i).startsWith("{\"step\":" + (i + 1) + ","), metrics.get(i));
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
