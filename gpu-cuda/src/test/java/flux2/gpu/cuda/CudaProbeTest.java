package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import org.junit.jupiter.api.Test;

class CudaProbeTest {
    private static boolean driverPresent() {
        return CudaBackendProvider.devices().size() > 0;
    }

    @Test
    void probeIsOneLineAndAgreesWithTheDeviceList() {
        BackendProvider.Probe p = new CudaBackendProvider().probe();
        assertEquals("cuda", p.name());
        assertFalse(p.detail().isBlank());
        assertFalse(p.detail().contains("\n"), p.detail());
        assertEquals(driverPresent(), p.usable(), p.detail());
        System.out.println("cuda probe: usable=" + p.usable() + ", " + p.detail());
    }

    @Test
    void withoutADriverOpenFailsWithTheReasonAndNoStackTrace() {
        org.junit.jupiter.api.Assumptions.assumeFalse(driverPresent(), "a CUDA driver is present");
        BackendProvider.Probe p = new CudaBackendProvider().probe();
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> new CudaBackendProvider().open());
        assertEquals(p.detail(), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "users see the reason, not a stack trace");
        assertTrue(CudaBackendProvider.devices().isEmpty());
    }

    @Test
    void backendsListTheCudaProvider() {
        assertTrue(Backends.probeAll().stream().anyMatch(p -> p.name().equals("cuda")),
                "the ServiceLoader registration of CudaBackendProvider");
    }

    @Test
    void aMissingDeviceOrdinalIsNamed() {
        org.junit.jupiter.api.Assumptions.assumeTrue(driverPresent(), "no CUDA driver on this machine");
        int n = CudaBackendProvider.devices().size();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CudaBackendProvider().open(n));
        assertTrue(e.getMessage().contains("cuda:" + n), e.getMessage());
    }
}
