package flux2.dist.mpi;

import flux2.tensor.collective.CollectiveException;

/** An MPI call that returned an error code, with the library's text for it. */
public final class MpiException extends CollectiveException {
    public MpiException(String message) { super(message); }
}
