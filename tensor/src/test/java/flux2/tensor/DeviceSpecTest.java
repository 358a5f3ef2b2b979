package flux2.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {
    @Test
    void parsesTheThreeForms() {
        assertEquals(new DeviceSpec("cpu", 0), DeviceSpec.parse("cpu"));
        assertEquals(new DeviceSpec("cuda", 1), DeviceSpec.parse("cuda:1"));
        assertEquals(new DeviceSpec("opencl", 0), DeviceSpec.parse(" OpenCL:0 "));
        assertEquals(new DeviceSpec("cuda", 0), DeviceSpec.parse("cuda"));
        assertEquals("cuda:1", DeviceSpec.parse("cuda:1").toString());
    }

    @Test
    void aBadStringNamesTheValueAndWhatIsAllowed() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cpu:0", "", "opencl:x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'") && e.getMessage().contains("cpu, opencl:N or cuda:N"), e.getMessage());
        }
    }

    @Test
    void cpuOpensTheCpuBackend() {
        assertSame(Backends.cpu(), DeviceSpec.parse("cpu").open());
    }

    @Test
    void aBackendMissingFromTheBuildIsNamed() {
        // the tensor module alone registers no device backends
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse("cuda:0").open());
        assertEquals("device cuda:0: no cuda backend in this build", e.getMessage());
    }
}
