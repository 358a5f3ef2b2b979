package flux2.tensor.collective;

import flux2.tensor.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Chooses the collectives of a job: a single process needs none; otherwise the library named by
 * {@code FLUX2_COLLECTIVES} (system property {@code flux2.collectives}: mpi, nccl or auto), and by default NCCL for
 * CUDA ranks that meet at MASTER_ADDR:MASTER_PORT, Open MPI for the others (CPU and OpenCL ranks, and CUDA ranks where
 * NCCL cannot be loaded or mpirun started them without MASTER_ADDR, through host memory).
 */
public final class CollectiveLibraries {
    private CollectiveLibraries() {}

    /** What each library found on the class path reports. */
    public static List<CollectivesProvider.Probe> probeAll() {
        List<CollectivesProvider.Probe> out = new ArrayList<>();
        for (CollectivesProvider p : ServiceLoader.load(CollectivesProvider.class)) out.add(p.probe());
        return out;
    }

    /** The library choice of this process: "auto" unless FLUX2_COLLECTIVES or flux2.collectives names one. */
    public static String configuredChoice() {
        String v = System.getProperty("flux2.collectives", System.getenv().getOrDefault("FLUX2_COLLECTIVES", "auto"));
        return v.trim().toLowerCase(Locale.ROOT);
    }

    /** Joins the job of {@code env} with the configured library choice. */
    public static Collectives join(RankEnv env, Backend device) {
        return join(env, device, configuredChoice());
    }

    /**
     * Joins the job of {@code env} on {@code device} with library {@code choice} ("auto", "mpi" or "nccl"); a job of one
     * rank joins nothing unless a library is named. Errors say which library is missing and what to install or set.
     */
    public static Collectives join(RankEnv env, Backend device, String choice) {
        if (!choice.equals("auto") && !choice.equals("mpi") && !choice.equals("nccl"))
            throw new IllegalArgumentException("FLUX2_COLLECTIVES='" + choice + "' is not one of auto, mpi, nccl");
        if (!env.distributed() && choice.equals("auto")) return new SingleProcess();
        List<CollectivesProvider> all = new ArrayList<>();
        ServiceLoader.load(CollectivesProvider.class).forEach(all::add);
        if (choice.equals("auto")) {
            CollectivesProvider nccl = find(all, "nccl");
            if (nccl != null && nccl.serves(device) && nccl.cannotJoin(env) == null && nccl.probe().usable()) return nccl.join(env, device);
            choice = "mpi";
        }
        CollectivesProvider p = find(all, choice);
        if (p == null)
            throw new IllegalArgumentException("no " + choice + " collectives in this build (the flux2-dist module is not on the class path)");
        CollectivesProvider.Probe probe = p.probe();
        if (!probe.usable()) throw new IllegalArgumentException(choice + " collectives cannot be used: " + probe.detail());
        if (!p.serves(device)) throw new IllegalArgumentException(choice + " collectives do not serve ranks on " + device.name());
        String why = p.cannotJoin(env);
        if (why != null) throw new IllegalArgumentException(why);
        return p.join(env, device);
    }

    private static CollectivesProvider find(List<CollectivesProvider> all, String name) {
        for (CollectivesProvider p : all) if (p.name().equals(name)) return p;
        return null;
    }
}
