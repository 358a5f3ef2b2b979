package flux2.gpu.opencl;

import flux2.tensor.Backend;
import flux2.tensor.BackendProvider;

/** Makes the OpenCL backend (device opencl:0) known to {@link flux2.tensor.Backends} through ServiceLoader. */
public final class OpenClBackendProvider implements BackendProvider {
    @Override
    public Probe probe() {
        try {
            return new Probe("opencl", true, String.join("; ", OpenCl.describeDevices()));
        } catch (OpenClUnavailable e) {
            return new Probe("opencl", false, e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return new Probe("opencl", false, "OpenCL cannot be used: " + e.getMessage());
        }
    }

    @Override
    public Backend open() { return OpenCl.backend(0); }

    @Override
    public Backend open(int ordinal) { return OpenCl.backend(ordinal); }
}
