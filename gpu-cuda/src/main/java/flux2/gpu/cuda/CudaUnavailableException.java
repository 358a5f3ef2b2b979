package flux2.gpu.cuda;

/** The CUDA driver cannot be used on this machine; the message is one line meant for users. */
public final class CudaUnavailableException extends CudaException {
    public CudaUnavailableException(String reason) { super(reason); }

    @Override
    public synchronized Throwable fillInStackTrace() { return this; }
}
