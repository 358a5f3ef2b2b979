package flux2.gpu;

import flux2.tensor.Backend;
import flux2.tensor.BackendProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The usable non-CPU backends of this machine, found through ServiceLoader, opened once per test run. */
final class DeviceBackends {
    private static List<Backend> usable;
    private static final List<String> skipped = new ArrayList<>();
    private static RuntimeException failure;

    private DeviceBackends() {}

    static synchronized List<Backend> all() {
        if (failure != null) throw failure;
        if (usable == null) {
            List<Backend> found = new ArrayList<>();
            try {
                for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
                    BackendProvider.Probe probe = p.probe();
                    if (probe.usable()) found.add(p.open());
                    else skipped.add(probe.name() + ": " + probe.detail());
                }
            } catch (RuntimeException e) {
                failure = e;
                throw e;
            }
            usable = found;
        }
        return usable;
    }

    /** Why no backend is usable, for the skip message. */
    static String whyNone() { return "no usable non-CPU backend " + skipped; }
}
