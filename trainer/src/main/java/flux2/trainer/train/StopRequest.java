package flux2.trainer.train;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * A request to stop a run after its current optimizer step, with a checkpoint: the control file
 * {@code <output_dir>/stop.request} (its content is ignored). The trainer checks it after every step; a file older
 * than this process is left over from an earlier run and is ignored. The file is removed when it is honoured.
 */
public final class StopRequest {
    /** The control file's name inside the output folder. */
    public static final String FILE_NAME = "stop.request";

    private final Path file;
    private final FileTime notBefore;

    private StopRequest(Path file, FileTime notBefore) {
        this.file = file;
        this.notBefore = notBefore;
    }

    /** The stop request of the run writing to {@code outputDir}. */
    public static StopRequest in(Path outputDir) {
        Instant started = ProcessHandle.current().info().startInstant()
                .orElse(Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()));
        return new StopRequest(outputDir.resolve(FILE_NAME), FileTime.from(started));
    }

    /** Asks the run writing to {@code outputDir} to stop (what a user or the web UI does). */
    public static void request(Path outputDir) throws IOException {
        Files.writeString(outputDir.resolve(FILE_NAME), "stop\n");
    }

    /** True when a stop was asked for since this process started. */
    public boolean requested() {
        try {
            return Files.isRegularFile(file) && Files.getLastModifiedTime(file).compareTo(notBefore) >= 0;
        } catch (IOException e) {
            return false; // removed between the two calls
        }
    }

    /** Removes the control file once the run has stopped. */
    public void clear() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a file that cannot be removed is older than the next run, which ignores it
        }
    }
}
