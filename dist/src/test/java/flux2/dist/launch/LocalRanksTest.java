package flux2.dist.launch;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local ranks of CUDA jobs, with a stand-in rank ({@link RankMain}): every child gets torchrun's variables and
 * the same rendezvous, and a rank that fails is named while the others are stopped, so none is left running.
 */
class LocalRanksTest {
    @TempDir Path dir;

    private List<String> rank(int failing) {
        return JavaCommand.current(RankMain.class.getName(), List.of(dir.toString(), Integer.toString(failing)));
    }

    @Test
    void everyRankGetsTorchrunsVariables() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(0, LocalRanks.run(3, true, rank(-1), new PrintStream(out, true), new PrintStream(err, true)), err.toString());
        String port = out.toString().replaceAll("(?s).*rendezvous at 127\\.0\\.0\\.1:(\\d+).*", "$1");
        assertTrue(out.toString().startsWith("starting 3 ranks (cuda:0 .. cuda:2), rendezvous at 127.0.0.1:"), out.toString());
        for (int r = 0; r < 3; r++) {
            String vars = Files.readString(dir.resolve("rank-" + r + ".txt"));
            assertTrue(vars.startsWith("RANK=" + r + " WORLD_SIZE=3 LOCAL_RANK=" + r + " LOCAL_WORLD_SIZE=3 MASTER_ADDR=127.0.0.1 pid="), vars);
            assertTrue(vars.endsWith(" MASTER_PORT=" + port), vars);
        }
    }

    @Test
    void aFailingRankIsNamedAndTheOthersAreStopped() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        int code = LocalRanks.run(3, true, rank(1), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(7, code);
        assertTrue(err.toString().matches("error: rank 1 \\(pid \\d+\\) ended with exit code 7; stopping the other ranks\\s*"), err.toString());
        assertTrue(seconds < 60, "the others were stopped, not waited for: " + seconds + " s");
        for (int r : new int[] {0, 2}) {
            long pid = Long.parseLong(Files.readString(dir.resolve("rank-" + r + ".txt")).replaceAll(".* pid=(\\d+).*", "$1"));
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "rank " + r + " is still running");
        }
    }

    @Test
    void mpirunsCommandLine() {
        List<String> cmd = MpiRun.command(Path.of("/usr/bin/mpirun"), 64, List.of("java", "-jar", "x.jar"));
        assertEquals(List.of("/usr/bin/mpirun", "-np", "64"), cmd.subList(0, 3));
        assertTrue(cmd.contains("--oversubscribe"), "more ranks than processors");
        assertEquals(MpiRun.runsAsRoot(), cmd.contains("--allow-run-as-root"));
        assertEquals(List.of("java", "-jar", "x.jar"), cmd.subList(cmd.size() - 3, cmd.size()));
    }
}
