package flux2.tensor.collective;

import flux2.tensor.Backend;

/** A collectives library (Open MPI, NCCL), discovered with ServiceLoader. */
public interface CollectivesProvider {
    /** The name users choose it by: "mpi" or "nccl". */
    String name();

    /** Whether the library can be loaded here, and a one-line description (its version, or why not). */
    Probe probe();

    /** Whether ranks whose tensors live on {@code device} can use this library (NCCL: CUDA devices; MPI: any, through host memory). */
    boolean serves(Backend device);

    /** Why the ranks of {@code env} cannot meet through this library (how they were started), or null when they can. */
    default String cannotJoin(RankEnv env) { return null; }

    /**
     * Joins the job {@code env} describes, waiting at most {@code env.timeout()} for the other ranks; the operations
     * run on tensors of {@code device}.
     */
    Collectives join(RankEnv env, Backend device);

    /** Result of probing a library. */
    record Probe(String name, boolean usable, String detail) {}
}
