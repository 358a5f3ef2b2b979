package flux2.dist.launch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mpirun command line that starts N copies of a rank's command on this host: {@code --oversubscribe} when there are
 * more ranks than processors, and {@code --allow-run-as-root} where the job runs as root (containers, CI).
 */
public final class MpiRun {
    private MpiRun() {}

    /** Open MPI's mpirun on PATH (or at FLUX2_MPIRUN), or null when there is none. */
    public static Path find() {
        String explicit = System.getenv("FLUX2_MPIRUN");
        if (explicit != null && !explicit.isBlank()) return Files.isExecutable(Path.of(explicit)) ? Path.of(explicit) : null;
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, "mpirun");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Whether this process runs as root (mpirun refuses root unless told). */
    public static boolean runsAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** {@code mpirun -np N [options] rankCommand...}. */
    public static List<String> command(Path mpirun, int ranks, List<String> rankCommand) {
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString(), "-np", Integer.toString(ranks)));
        if (ranks > Runtime.getRuntime().availableProcessors()) cmd.add("--oversubscribe");
        if (runsAsRoot()) cmd.add("--allow-run-as-root");
        cmd.addAll(rankCommand);
        return cmd;
    }
}
