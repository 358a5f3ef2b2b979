package flux2.gpu.cuda;

import flux2.tensor.Backend;
import flux2.tensor.BackendProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Finds the CUDA devices of this machine through libcuda.so.1; reports why not when there is no driver. */
public final class CudaBackendProvider implements BackendProvider {
    /** One CUDA device as the probe sees it. */
    public record DeviceInfo(String name, String deviceName, long memoryBytes, int capability, int driverVersion) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s (%.1f GiB, sm_%d, CUDA driver %d.%d)", name, deviceName,
                    memoryBytes / (double) (1L << 30), capability, driverVersion / 1000, driverVersion % 1000 / 10);
        }
    }

    private static volatile Object driverOrFailure;
    private static final Map<Integer, CudaBackend> OPEN = new HashMap<>();

    /** The loaded driver; a {@link CudaUnavailableException} with the reason when it cannot be used. */
    static CudaDriver driver() {
        Object d = driverOrFailure;
        if (d == null) {
            synchronized (CudaBackendProvider.class) {
                d = driverOrFailure;
                if (d == null) {
                    try {
                        d = CudaDriver.load();
                    } catch (CudaException e) {
                        d = e.getMessage();
                    } catch (RuntimeException | LinkageError e) {
                        d = "the CUDA driver failed to load: " + e;
                    }
                    driverOrFailure = d;
                }
            }
        }
        if (d instanceof CudaDriver cu) return cu;
        throw new CudaUnavailableException((String) d);
    }

    /** The devices of this machine (empty when there is none or no driver). */
    public static List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        CudaDriver cu;
        try {
            cu = driver();
        } catch (CudaUnavailableException e) {
            return out;
        }
        int version = cu.driverVersion();
        for (int i = 0, n = cu.deviceCount(); i < n; i++) {
            int dev = cu.device(i);
            out.add(new DeviceInfo("cuda:" + i, cu.deviceName(dev), cu.deviceTotalMemory(dev),
                    10 * cu.deviceAttribute(dev, CudaDriver.ATTR_CC_MAJOR) + cu.deviceAttribute(dev, CudaDriver.ATTR_CC_MINOR),
                    version));
        }
        return out;
    }

    @Override
    public Probe probe() {
        try {
            driver();
            List<DeviceInfo> devs = devices();
            if (devs.isEmpty()) return new Probe("cuda", false, "the NVIDIA driver reports no CUDA device");
            return new Probe("cuda", true, String.join("; ", devs.stream().map(DeviceInfo::toString).toList()));
        } catch (CudaException e) {
            return new Probe("cuda", false, e.getMessage());
        }
    }

    @Override
    public Backend open() { return open(0); }

    /** The backend on device cuda:{@code ordinal}, opened once per process (loading the PTX is the slow part). */
    @Override
    public Backend open(int ordinal) {
        synchronized (OPEN) {
            CudaBackend b = OPEN.get(ordinal);
            if (b == null) {
                b = new CudaBackend(new CudaDevice(driver(), ordinal));
                OPEN.put(ordinal, b);
            }
            return b;
        }
    }
}
