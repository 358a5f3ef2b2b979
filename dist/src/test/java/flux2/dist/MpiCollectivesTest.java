package flux2.dist;

import static org.junit.jupiter.api.Assertions.*;

import flux2.dist.launch.MpiRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The Open MPI bindings in real ranks: mpirun starts {@link MpiRankMain} (on loopback, oversubscribed on a small
 * machine). Skips with a message where Open MPI is not installed.
 */
class MpiCollectivesTest {
    record Run(int code, String out, double seconds) {}

    static Path mpirun() {
        Path m = MpiRun.find();
        Assumptions.assumeTrue(m != null, "Open MPI's mpirun is not installed (apt-get install openmpi-bin): the MPI tests skip");
        return m;
    }

    static Run run(int ranks, String mode, String timeout) throws IOException, InterruptedException {
        List<String> rank = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), MpiRankMain.class.getName(), mode));
        ProcessBuilder pb = new ProcessBuilder(MpiRun.command(mpirun(), ranks, rank)).redirectErrorStream(true);
        pb.environment().put("FLUX2_DIST_TIMEOUT", timeout);
        long t0 = System.nanoTime();
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "mpirun did not end: " + out);
        return new Run(p.exitValue(), out, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void everyOperationGivesItsResultOnThreeRanks() throws Exception {
        Run r = run(3, "ops", "60");
        assertEquals(0, r.code(), r.out());
        for (int k = 0; k < 3; k++) {
            assertTrue(r.out().contains("rank " + k + " ok"), r.out());
            assertTrue(r.out().contains("rank " + k + ": Open MPI v"), r.out());
        }
        assertTrue(r.out().contains("started by mpirun: rank 2 of 3"), r.out());
    }

    @Test
    void aHungRankIsNamedAndTheJobEndsWithinTheTimeout() throws Exception {
        Run r = run(2, "hang", "3");
        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("rank 0: all-reduce #2 did not complete within 3 s: rank 1 (last at #1) did not reach it"), r.out());
        assertTrue(r.seconds() < 30, "ended after " + r.seconds() + " s: " + r.out());
    }

    @Test
    void aRankThatDiesEndsTheJob() throws Exception {
        Run r = run(2, "die", "30");
        assertNotEquals(0, r.code(), r.out());
        assertFalse(r.out().contains("rank 0 ok"), r.out());
        assertTrue(r.seconds() < 30, "ended after " + r.seconds() + " s: " + r.out());
    }
}
