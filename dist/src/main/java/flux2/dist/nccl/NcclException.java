package flux2.dist.nccl;

import flux2.tensor.collective.CollectiveException;

/** An NCCL call that returned an error, with NCCL's text for it. */
public final class NcclException extends CollectiveException {
    public NcclException(String message) { super(message); }
}
