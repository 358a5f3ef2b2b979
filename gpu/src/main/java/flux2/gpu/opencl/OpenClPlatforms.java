package flux2.gpu.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import flux2.gpu.GpuDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Discovery of OpenCL devices: every device of every platform, numbered in that order. */
public final class OpenClPlatforms {
    /** A device as found, before a context is made for it. */
    record DeviceInfo(MemorySegment device, String platform, String name, String vendor, String driver,
                      GpuDevice.Kind kind, long globalMemory, int maxWorkGroupSize, int computeUnits) {
        String describe() {
            return name.strip() + " (" + kind + ", " + computeUnits + " compute units, "
                    + String.format("%.1f GiB", globalMemory / (double) (1L << 30)) + ", " + platform.strip() + ", driver " + driver.strip() + ")";
        }
    }

    private OpenClPlatforms() {}

    /** The devices found; an {@link OpenClUnavailable} saying why when there is no loader, platform or device. */
    static List<DeviceInfo> devices() {
        try {
            return scan();
        } catch (ExceptionInInitializerError e) {
            Throwable c = e.getCause();
            throw c instanceof OpenClUnavailable u ? u : new OpenClUnavailable("OpenCL cannot be loaded: " + c);
        } catch (NoClassDefFoundError e) {
            throw new OpenClUnavailable("OpenCL cannot be loaded (libOpenCL.so.1 missing or incomplete)");
        }
    }

    private static List<DeviceInfo> scan() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            int err = (int) Cl.clGetPlatformIDs.invokeExact(0, MemorySegment.NULL, count);
            if (err == Cl.PLATFORM_NOT_FOUND_KHR || (err == Cl.SUCCESS && count.get(JAVA_INT, 0) == 0))
                throw new OpenClUnavailable("no OpenCL platform (the loader found no installed ICD; install pocl-opencl-icd or a GPU driver)");
            Cl.check(err, "clGetPlatformIDs");
            int n = count.get(JAVA_INT, 0);
            MemorySegment platforms = a.allocate(ADDRESS, n);
            Cl.check((int) Cl.clGetPlatformIDs.invokeExact(n, platforms, MemorySegment.NULL), "clGetPlatformIDs");
            List<DeviceInfo> out = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                MemorySegment platform = platforms.getAtIndex(ADDRESS, p);
                String pname = platformString(a, platform, Cl.PLATFORM_NAME);
                MemorySegment dn = a.allocate(JAVA_INT);
                err = (int) Cl.clGetDeviceIDs.invokeExact(platform, Cl.DEVICE_TYPE_ALL, 0, MemorySegment.NULL, dn);
                if (err != Cl.SUCCESS || dn.get(JAVA_INT, 0) == 0) continue;
                int m = dn.get(JAVA_INT, 0);
                MemorySegment devs = a.allocate(ADDRESS, m);
                Cl.check((int) Cl.clGetDeviceIDs.invokeExact(platform, Cl.DEVICE_TYPE_ALL, m, devs, MemorySegment.NULL), "clGetDeviceIDs");
                for (int d = 0; d < m; d++) {
                    MemorySegment dev = devs.getAtIndex(ADDRESS, d);
                    long type = deviceLong(a, dev, Cl.DEVICE_TYPE);
                    GpuDevice.Kind kind = (type & Cl.DEVICE_TYPE_GPU) != 0 ? GpuDevice.Kind.GPU
                            : (type & Cl.DEVICE_TYPE_CPU) != 0 ? GpuDevice.Kind.CPU : GpuDevice.Kind.ACCELERATOR;
                    out.add(new DeviceInfo(dev, pname, deviceString(a, dev, Cl.DEVICE_NAME), deviceString(a, dev, Cl.DEVICE_VENDOR),
                            deviceString(a, dev, Cl.DRIVER_VERSION), kind, deviceLong(a, dev, Cl.DEVICE_GLOBAL_MEM_SIZE),
                            (int) Math.min(Integer.MAX_VALUE, deviceLong(a, dev, Cl.DEVICE_MAX_WORK_GROUP_SIZE)),
                            deviceInt(a, dev, Cl.DEVICE_MAX_COMPUTE_UNITS)));
                }
            }
            if (out.isEmpty()) throw new OpenClUnavailable("OpenCL platforms found but no device");
            return out;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String platformString(Arena a, MemorySegment platform, int param) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        Cl.check((int) Cl.clGetPlatformInfo.invokeExact(platform, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo");
        MemorySegment v = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        Cl.check((int) Cl.clGetPlatformInfo.invokeExact(platform, param, v.byteSize(), v, MemorySegment.NULL), "clGetPlatformInfo");
        return v.getString(0);
    }

    private static String deviceString(Arena a, MemorySegment dev, int param) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo");
        MemorySegment v = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, v.byteSize(), v, MemorySegment.NULL), "clGetDeviceInfo");
        return v.getString(0);
    }

    /** A cl_ulong, size_t or bitfield property (all 8 bytes on 64-bit hosts). */
    private static long deviceLong(Arena a, MemorySegment dev, int param) throws Throwable {
        MemorySegment v = a.allocate(JAVA_LONG);
        Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 8L, v, MemorySegment.NULL), "clGetDeviceInfo");
        return v.get(JAVA_LONG, 0);
    }

    private static int deviceInt(Arena a, MemorySegment dev, int param) throws Throwable {
        MemorySegment v = a.allocate(JAVA_INT);
        Cl.check((int) Cl.clGetDeviceInfo.invokeExact(dev, param, 4L, v, MemorySegment.NULL), "clGetDeviceInfo");
        return v.get(JAVA_INT, 0);
    }
}
