package flux2.quant;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory from /proc (Linux): current and peak RSS, and resetting the peak. */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** Peak resident set size in bytes (VmHWM), or -1 where /proc is unavailable. */
    public static long peakRssBytes() { return field("VmHWM:"); }

    /** Current resident set size in bytes (VmRSS), or -1 where /proc is unavailable. */
    public static long rssBytes() { return field("VmRSS:"); }

    /** Resets the peak to the current RSS (writes 5 to /proc/self/clear_refs); returns whether it could. */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static long field(String key) {
        try {
            for (String line : Files.readAllLines(STATUS))
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
