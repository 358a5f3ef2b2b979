package flux2.gpu.opencl;

import flux2.gpu.GpuBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the OpenCL backend: the devices of this machine and one {@link GpuBackend} per device,
 * opened once per process (building the kernel program is the slow part).
 */
public final class OpenCl {
    private static final Map<Integer, GpuBackend> OPEN = new HashMap<>();

    private OpenCl() {}

    /** One line per device ("opencl:0 name (...)"); an {@link OpenClUnavailable} when there is none. */
    public static List<String> describeDevices() {
        List<String> out = new ArrayList<>();
        List<OpenClPlatforms.DeviceInfo> devs = OpenClPlatforms.devices();
        for (int i = 0; i < devs.size(); i++) out.add("opencl:" + i + " " + devs.get(i).describe());
        return out;
    }

    /** The backend of device {@code index} ("opencl:index"), opened on first use. */
    public static synchronized GpuBackend backend(int index) {
        GpuBackend b = OPEN.get(index);
        if (b != null) return b;
        List<OpenClPlatforms.DeviceInfo> devs = OpenClPlatforms.devices();
        if (index < 0 || index >= devs.size())
            throw new IllegalArgumentException("no OpenCL device opencl:" + index + "; this machine has opencl:0 to opencl:" + (devs.size() - 1));
        b = new GpuBackend(new OpenClDevice(index, devs.get(index)));
        OPEN.put(index, b);
        return b;
    }
}
