package flux2.dist.launch;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in rank for the tests of {@link LocalRanks}: writes its torchrun variables to DIR/rank-R.txt, then rank
 * {@code failing} exits with code 7 after a moment while the others sleep (or all exit 0 when failing is -1).
 */
public final class RankMain {
    private RankMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int failing = Integer.parseInt(args[1]);
        int rank = Integer.parseInt(System.getenv("RANK"));
        String vars = String.join(" ", "RANK=" + System.getenv("RANK"), "WORLD_SIZE=" + System.getenv("WORLD_SIZE"), "LOCAL_RANK=" + System.getenv("LOCAL_RANK"),
                "LOCAL_WORLD_SIZE=" + System.getenv("LOCAL_WORLD_SIZE"), "MASTER_ADDR=" + System.getenv("MASTER_ADDR"), "pid=" + ProcessHandle.current().pid());
        Files.writeString(dir.resolve("rank-" + rank + ".txt"), vars + " MASTER_PORT=" + System.getenv("MASTER_PORT"));
        if (failing < 0) return;
        if (rank == failing) {
            Thread.sleep(1500);
            System.exit(7);
        }
        Thread.sleep(120_000);
    }
}
