package flux2.gpu.cuda;

/** A CUDA driver call that returned an error; the message names the call and the driver's error name. */
public class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String call, int code, String name) {
        super(call + " failed: " + name + " (" + code + ")");
        this.code = code;
    }

    CudaException(String message) {
        super(message);
        this.code = -1;
    }

    /** The CUresult, or -1 when the driver was not reached. */
    public int code() { return code; }
}
