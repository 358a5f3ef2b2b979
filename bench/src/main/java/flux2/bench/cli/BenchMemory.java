package flux2.bench.cli;

import flux2.tensor.MemoryStats;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Memory figures that every benchmark line reports: the process's peak RSS and the tensor arenas' peak. */
final class BenchMemory {
    private BenchMemory() {}

    /** Peak resident set size of this process in MiB (VmHWM), or -1 where /proc is not available. */
    static double peakRssMiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Adds "peak_rss_mib" and "arena_peak_mib" to a benchmark's JSON fields. */
    static void addTo(Map<String, Object> json) {
        json.put("peak_rss_mib", round(peakRssMiB()));
        json.put("arena_peak_mib", round(MemoryStats.peakBytes() / 1048576.0));
    }

    private static double round(double v) { return new BigDecimal(v).round(new MathContext(4)).doubleValue(); }
}
