package flux2.gpu.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider's probe: a one-line answer in both directions, never a stack trace. */
class OpenClProbeTest {
    /** Prints the probe of a fresh process, for the no-platform case (the loader reads its vendor list once). */
    public static void main(String[] args) {
        BackendProvider.Probe p = new OpenClBackendProvider().probe();
        System.out.println(p.usable() + "|" + p.detail());
    }

    @Test
    void listedAmongTheBackends() {
        List<BackendProvider.Probe> all = Backends.probeAll();
        assertTrue(all.stream().anyMatch(p -> p.name().equals("opencl")), "opencl is discovered through ServiceLoader: " + all);
    }

    @Test
    void noPlatformMeansUnusableWithAReason(@TempDir Path empty) throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/etc/OpenCL/vendors")), "no OpenCL ICD loader configuration on this machine");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                OpenClProbeTest.class.getName());
        pb.environment().put("OCL_ICD_VENDORS", empty.toString());
        pb.redirectErrorStream(true);
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes()).strip();
        assertEquals(0, proc.waitFor(), out);
        assertTrue(out.startsWith("false|"), out);
        assertTrue(out.contains("no OpenCL platform"), out);
        assertFalse(out.contains("Exception"), out);
    }
}
