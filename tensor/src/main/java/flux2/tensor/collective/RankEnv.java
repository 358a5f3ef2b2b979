package flux2.tensor.collective;

import java.time.Duration;
import java.util.Map;

/**
 * Which rank of how many this process is, read from the variables its launcher set: Open MPI's mpirun
 * ({@code OMPI_COMM_WORLD_RANK}, {@code _SIZE}, {@code _LOCAL_RANK}, {@code _LOCAL_SIZE}) or torchrun's
 * ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR},
 * {@code MASTER_PORT}); neither makes a job of one. {@code FLUX2_DIST_TIMEOUT} (seconds, default 600) bounds
 * each collective operation, {@code FLUX2_DIST_PHASE_TIMEOUT} (default 14400) the wait of the other ranks while
 * rank 0 alone builds caches, validates or saves.
 */
public record RankEnv(int rank, int worldSize, int localRank, int localWorldSize, Launcher launcher, String masterAddr,
                      int masterPort, Duration timeout, Duration phaseTimeout) {
    /** How the ranks of the job were started. */
    public enum Launcher {
        /** One process, no launcher. */
        SINGLE,
        /** Open MPI's mpirun (or an equivalent that sets OMPI_COMM_WORLD_*). */
        MPIRUN,
        /** torchrun, or anything else that sets RANK and WORLD_SIZE (the trainer's own --num_processes does). */
        TORCHRUN
    }

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(600), DEFAULT_PHASE_TIMEOUT = Duration.ofHours(4);

    public RankEnv {
        if (worldSize < 1) throw new IllegalArgumentException("world size " + worldSize + " is below 1");
        if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " is outside a world of " + worldSize);
        if (localRank < 0 || localRank >= localWorldSize)
            throw new IllegalArgumentException("local rank " + localRank + " is outside " + localWorldSize + " local ranks");
    }

    /** The environment of a single process. */
    public static RankEnv single() {
        return new RankEnv(0, 1, 0, 1, Launcher.SINGLE, null, 0, DEFAULT_TIMEOUT, DEFAULT_PHASE_TIMEOUT);
    }

    /** This process's environment. */
    public static RankEnv detect() { return detect(System.getenv()); }

    /** The rank described by {@code env}; a bad value is an error naming the variable and what it allows. */
    public static RankEnv detect(Map<String, String> env) {
        Duration timeout = seconds(env, "FLUX2_DIST_TIMEOUT", DEFAULT_TIMEOUT), phase = seconds(env, "FLUX2_DIST_PHASE_TIMEOUT", DEFAULT_PHASE_TIMEOUT);
        if (env.containsKey("OMPI_COMM_WORLD_SIZE")) {
            int size = integer(env, "OMPI_COMM_WORLD_SIZE", 1, null);
            int rank = integer(env, "OMPI_COMM_WORLD_RANK", 0, size);
            int localSize = env.containsKey("OMPI_COMM_WORLD_LOCAL_SIZE") ? integer(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1, null) : size;
            int local = env.containsKey("OMPI_COMM_WORLD_LOCAL_RANK") ? integer(env, "OMPI_COMM_WORLD_LOCAL_RANK", 0, localSize) : rank % localSize;
            String addr = env.get("MASTER_ADDR");
            int port = env.containsKey("MASTER_PORT") ? integer(env, "MASTER_PORT", 1, 65536) : 0;
            return new RankEnv(rank, size, local, localSize, Launcher.MPIRUN, addr, port, timeout, phase);
        }
        if (env.containsKey("WORLD_SIZE") || env.containsKey("RANK")) {
            if (!env.containsKey("WORLD_SIZE")) throw new IllegalArgumentException("RANK is set but WORLD_SIZE is not: a rank needs both (as torchrun sets them)");
            int size = integer(env, "WORLD_SIZE", 1, null);
            if (!env.containsKey("RANK")) throw new IllegalArgumentException("WORLD_SIZE is set but RANK is not: a rank needs both (as torchrun sets them)");
            int rank = integer(env, "RANK", 0, size);
            int localSize = env.containsKey("LOCAL_WORLD_SIZE") ? integer(env, "LOCAL_WORLD_SIZE", 1, null) : size;
            int local = env.containsKey("LOCAL_RANK") ? integer(env, "LOCAL_RANK", 0, localSize) : rank % localSize;
            if (size == 1) return new RankEnv(0, 1, 0, 1, Launcher.SINGLE, null, 0, timeout, phase);
            String addr = env.get("MASTER_ADDR");
            if (addr == null || addr.isBlank())
                throw new IllegalArgumentException("WORLD_SIZE is " + size + " but MASTER_ADDR is not set: set it to the address of rank 0's host (127.0.0.1 on one machine)");
            if (!env.containsKey("MASTER_PORT"))
                throw new IllegalArgumentException("WORLD_SIZE is " + size + " but MASTER_PORT is not set: set it to a free TCP port of rank 0's host, the same on every rank");
            return new RankEnv(rank, size, local, localSize, Launcher.TORCHRUN, addr.trim(), integer(env, "MASTER_PORT", 1, 65536), timeout, phase);
        }
        return new RankEnv(0, 1, 0, 1, Launcher.SINGLE, null, 0, timeout, phase);
    }

    /** True when this process is one of several. */
    public boolean distributed() { return worldSize > 1; }

    /** This environment with other timeouts (tests shorten them). */
    public RankEnv withTimeouts(Duration step, Duration phaseWait) {
        return new RankEnv(rank, worldSize, localRank, localWorldSize, launcher, masterAddr, masterPort, step, phaseWait);
    }

    /** Who started the ranks, for messages. */
    public String launcherName() {
        return switch (launcher) {
            case SINGLE -> "no launcher";
            case MPIRUN -> "mpirun";
            case TORCHRUN -> "RANK/WORLD_SIZE (torchrun-style, rendezvous at " + masterAddr + ":" + masterPort + ")";
        };
    }

    /** An integer variable in [min, below) (no upper bound when below is null). */
    private static int integer(Map<String, String> env, String name, int min, Integer below) {
        String v = env.get(name);
        String allowed = below == null ? "a whole number >= " + min : "a whole number from " + min + " to " + (below - 1);
        if (v == null) throw new IllegalArgumentException(name + " is not set (" + allowed + ")");
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not " + allowed);
        }
        if (n < min || (below != null && n >= below)) throw new IllegalArgumentException(name + "=" + n + " is out of range: expected " + allowed);
        return n;
    }

    private static Duration seconds(Map<String, String> env, String name, Duration fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            double s = Double.parseDouble(v.trim());
            if (!(s > 0) || Double.isInfinite(s)) throw new NumberFormatException();
            return Duration.ofMillis(Math.round(s * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not a number of seconds above 0");
        }
    }
}
