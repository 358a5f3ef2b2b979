package flux2.tensor;

/** A factory of a non-CPU backend (OpenCL, CUDA, TornadoVM), discovered with ServiceLoader. */
public interface BackendProvider {
    /** Whether the backend can run here, and a one-line description (devices found, or why not). */
    Probe probe();

    /** The backend, if {@link #probe()} said it is usable. */
    Backend open();

    /** Result of probing a backend. */
    record Probe(String name, boolean usable, String detail) {}
}
