package flux2.tensor;

import flux2.tensor.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The backends of this process: the CPU one always, others found through {@link BackendProvider}s. */
public final class Backends {
    private static final CpuBackend CPU = new CpuBackend();

    private Backends() {}

    public static Backend cpu() { return CPU; }

    /** What each known backend provider reports: usable or not, and why. */
    public static List<BackendProvider.Probe> probeAll() {
        List<BackendProvider.Probe> out = new ArrayList<>();
        out.add(new BackendProvider.Probe("cpu", true, CPU.describe()));
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) out.add(p.probe());
        return out;
    }
}
