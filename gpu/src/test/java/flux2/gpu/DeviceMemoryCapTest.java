package flux2.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The device memory cap: allocations past it fail naming the cap, the bytes in use and the request. */
class DeviceMemoryCapTest {
    private static GpuDevice firstDevice() {
        Assumptions.assumeFalse(DeviceBackends.all().isEmpty(), DeviceBackends::whyNone);
        for (Backend b : DeviceBackends.all()) if (b instanceof GpuBackend g) return g.device();
        Assumptions.abort("no GPU backend among " + DeviceBackends.all());
        return null;
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected «" + part + "» in: " + text);
    }

    @Test
    void allocationsPastTheCapFailWithTheCapTheBytesInUseAndTheRequest() {
        GpuBackend be = new GpuBackend(firstDevice(), GpuBackend.Variant.AUTO, 1 << 20);
        assertEquals(1 << 20, be.deviceMemoryBytes(), "a run plans against the cap, not the device's memory");
        try (TensorArena a = TensorArena.open("capped")) {
            Tensor held = Tensor.allocate(be, DType.F32, new int[]{192 * 1024}, a); // 768 KiB
            held.fill(2);
            DeviceMemoryCap.DeviceMemoryExceeded e = assertThrows(DeviceMemoryCap.DeviceMemoryExceeded.class,
                    () -> Tensor.allocate(be, DType.F32, new int[]{128 * 1024}, a));
            assertContains(e.getMessage(), be.name() + ": cannot allocate 512.0 KiB (524288 bytes) of device memory");
            assertContains(e.getMessage(), "768.0 KiB (786432 bytes) are in use");
            assertContains(e.getMessage(), "the memory cap is 1.0 MiB (1048576 bytes) (-Dflux2.gpu.memoryLimit)");
            assertEquals(786432, be.deviceBytesInUse(), "a refused allocation holds nothing");
            // what fits still works, and the data held is intact
            Tensor small = Tensor.allocate(be, DType.F32, new int[]{1024}, a);
            small.fill(1);
            assertEquals(2.0 * 192 * 1024, held.sum().item());
        }
        assertEquals(0, be.deviceBytesInUse());
    }

    @Test
    void temporariesOfAnOperationCountAgainstTheCap() {
        GpuBackend be = new GpuBackend(firstDevice(), GpuBackend.Variant.AUTO, 48 * 1024);
        try (TensorArena a = TensorArena.open("capped")) {
            // a transposed view is made contiguous in a device temporary before it is read back: 32 KiB held + 32 KiB
            Tensor x = Tensor.allocate(be, DType.F32, new int[]{64, 128}, a);
            DeviceMemoryCap.DeviceMemoryExceeded e = assertThrows(DeviceMemoryCap.DeviceMemoryExceeded.class, () -> x.t().toFloatArray());
            assertContains(e.getMessage(), "cannot allocate 32.0 KiB (32768 bytes)");
            assertEquals(32 * 1024, be.deviceBytesInUse(), "the failed operation released what it had reserved");
            assertEquals(64 * 128, x.toFloatArray().length, "a contiguous read needs no temporary");
        }
    }

    @Test
    void theCapComesFromTheSystemPropertyAndABadValueIsNamed() {
        GpuDevice dev = firstDevice();
        String old = System.getProperty(DeviceMemoryCap.PROPERTY);
        try {
            System.setProperty(DeviceMemoryCap.PROPERTY, "3M");
            assertEquals(3L << 20, new GpuBackend(dev, GpuBackend.Variant.AUTO).memoryCap());
            System.setProperty(DeviceMemoryCap.PROPERTY, "3000000");
            assertEquals(3_000_000, new GpuBackend(dev).deviceMemoryBytes());
            System.setProperty(DeviceMemoryCap.PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GpuBackend(dev));
            assertContains(e.getMessage(), "system property flux2.gpu.memoryLimit='lots'");
            System.clearProperty(DeviceMemoryCap.PROPERTY);
            GpuBackend free = new GpuBackend(dev);
            assertEquals(-1, free.memoryCap());
            assertEquals(dev.memoryBytes(), free.deviceMemoryBytes());
        } finally {
            if (old == null) System.clearProperty(DeviceMemoryCap.PROPERTY);
            else System.setProperty(DeviceMemoryCap.PROPERTY, old);
        }
    }
}
