package flux2.tensor;

/** A factory of a non-CPU backend (OpenCL, CUDA, TornadoVM), discovered with ServiceLoader. */
public interface BackendProvider {
    /** Whether the backend can run here, and a one-line description (devices found, or why not). */
    Probe probe();

    /** The backend, if {@link #probe()} said it is usable. */
    Backend open();

    /** The backend on device {@code ordinal} of this provider ("name:ordinal"); providers with several devices override it. */
    default Backend open(int ordinal) {
        if (ordinal == 0) return open();
        throw new IllegalArgumentException("no device " + probe().name() + ":" + ordinal + " (this backend has one device, "
                + probe().name() + ":0)");
    }

    /** Result of probing a backend. */
    record Probe(String name, boolean usable, String detail) {}
}
