package flux2.gpu;

import flux2.tensor.ByteSize;

/**
 * A limit on the device memory one backend may hold, below what the device has: set with
 * {@code -Dflux2.gpu.memoryLimit=BYTES} (units allowed, see {@link ByteSize}) so that a large device behaves
 * like a small one, for tests of planning and offload and for users who share a GPU.
 */
public final class DeviceMemoryCap {
    /** The system property that sets the cap. */
    public static final String PROPERTY = "flux2.gpu.memoryLimit";

    private DeviceMemoryCap() {}

    /** The cap of system property {@value #PROPERTY} in bytes, or -1 when it is unset. */
    public static long fromProperty() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) return -1;
        return ByteSize.parse(v, "system property " + PROPERTY);
    }

    /** The error of an allocation that would go past the cap, naming the cap, the bytes in use and the request. */
    static DeviceMemoryExceeded exceeded(String device, long cap, long inUse, long request) {
        return new DeviceMemoryExceeded(device + ": cannot allocate " + bytes(request) + " of device memory: " + bytes(inUse)
                + " are in use and the memory cap is " + bytes(cap) + " (-D" + PROPERTY + "); raise the cap, or make the run"
                + " hold less (flux2-trainer plan shows what it holds)");
    }

    private static String bytes(long n) { return ByteSize.format(n) + " (" + n + " bytes)"; }

    /** An allocation refused because it would go past the device memory cap. */
    public static final class DeviceMemoryExceeded extends IllegalStateException {
        DeviceMemoryExceeded(String message) { super(message); }
    }
}
