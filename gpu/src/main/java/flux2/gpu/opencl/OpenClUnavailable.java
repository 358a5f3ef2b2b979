package flux2.gpu.opencl;

/** OpenCL cannot be used in this process (no loader, no platform, no device); the message says why. */
public final class OpenClUnavailable extends RuntimeException {
    public OpenClUnavailable(String message) { super(message); }
}
