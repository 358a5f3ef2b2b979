package flux2.tensor.collective;

import flux2.tensor.Tensor;
import java.time.Duration;

/**
 * Collective operations over the ranks of a job, with NCCL's semantics: every rank calls the same operations in the
 * same order on tensors of equal shape and dtype, and each call returns once its result is in place on this rank.
 * Operations on a device tensor are ordered on the backend's stream or queue after the work queued before them.
 * Each operation waits at most {@link #timeout()} for the other ranks; one that does not complete ends with a
 * {@link CollectiveException} naming the rank that is missing, if it can be known.
 */
public interface Collectives extends AutoCloseable {
    /** This process's rank, 0 .. worldSize - 1. */
    int rank();

    /** The number of ranks of the job. */
    int worldSize();

    /** True on rank 0, the rank that writes the job's files. */
    default boolean isRankZero() { return rank() == 0; }

    /** One line: the library and its version, how the ranks were started, rank of world. */
    String describe();

    /** How long one operation waits for the other ranks. */
    Duration timeout();

    /**
     * In place: t becomes the sum (or average) over the ranks of their t. F32 or BF16, contiguous; BF16 sums are
     * accumulated in F32 and rounded once where the library allows it.
     */
    void allReduce(Tensor t, Reduction op);

    /** In place: t becomes rank {@code root}'s t (any dtype, contiguous). */
    void broadcast(Tensor t, int root);

    /** out (worldSize times in's elements, same dtype, contiguous) = every rank's in, in rank order. */
    void allGather(Tensor in, Tensor out);

    /** Returns once every rank has called it, waiting at most {@code timeout} (long for work that one rank does alone). */
    void barrier(Duration timeout);

    /** A barrier with the ordinary {@link #timeout()}. */
    default void barrier() { barrier(timeout()); }

    /**
     * Ends the job: the other ranks' operations fail with {@code message}, naming this rank. A library whose abort
     * terminates every process of the job (MPI_Abort) does not return.
     */
    void abort(String message);

    /** Releases the library's resources; the job's operations are over. */
    @Override
    void close();
}
