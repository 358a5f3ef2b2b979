package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flux2.tensor.DeviceSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class CudaDeviceSpecTest {
    @Test
    void withoutADriverTheDeviceStringGetsTheProbeReason() {
        Assumptions.assumeTrue(CudaBackendProvider.devices().isEmpty(), "a CUDA driver is present");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("cuda:0").open());
        assertEquals("device cuda:0 cannot be used: " + new CudaBackendProvider().probe().detail(), e.getMessage());
    }

    @Test
    void withADriverCudaZeroOpensOnce() {
        Assumptions.assumeFalse(CudaBackendProvider.devices().isEmpty(), "no CUDA device");
        assertEquals("cuda:0", DeviceSpec.parse("cuda:0").open().name());
        assertEquals(DeviceSpec.parse("cuda").open(), DeviceSpec.parse("cuda:0").open());
    }
}
