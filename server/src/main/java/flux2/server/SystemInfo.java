package flux2.server;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import flux2.tensor.Parallel;
import flux2.trainer.Version;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;

/** What the System page shows: the facts {@code doctor} prints (JDK, SIMD width, threads, memory, backends with their devices). */
public final class SystemInfo {
    private SystemInfo() {}

    /** The facts as a JSON-ready map; device backends list their devices one by one. */
    public static Map<String, Object> describe() {
        Runtime rt = Runtime.getRuntime();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", Version.get());
        m.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("processors", rt.availableProcessors());
        m.put("threads", Parallel.threads());
        m.put("simd", FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors, " + FloatVector.SPECIES_PREFERRED.length() + " floats per vector");
        Map<String, Object> mem = new LinkedHashMap<>();
        mem.put("heap_max_bytes", rt.maxMemory());
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean s) {
            mem.put("physical_free_bytes", s.getFreeMemorySize());
            mem.put("physical_total_bytes", s.getTotalMemorySize());
        }
        m.put("memory", mem);
        List<Map<String, Object>> backends = new ArrayList<>();
        for (BackendProvider.Probe p : Backends.probeAll()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", p.name());
            b.put("usable", p.usable());
            boolean devices = p.usable() && !p.name().equals("cpu");
            b.put("detail", devices ? null : p.detail());
            b.put("devices", devices ? List.of(p.detail().split("; ")) : List.of());
            backends.add(b);
        }
        m.put("backends", backends);
        return m;
    }
}
