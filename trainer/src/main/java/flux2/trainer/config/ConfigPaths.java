package flux2.trainer.config;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves relative paths in configuration files. SimpleTuner opens them relative to the working directory (where
 * it is launched); a path that is not there is also tried relative to the folder of the file that names it, so a
 * config folder can be moved as a whole.
 */
final class ConfigPaths {
    private ConfigPaths() {}

    /** The existing file or folder {@code value} names, or null after reporting where it was looked for. */
    static Path existing(Path workDir, Path baseDir, String value, boolean directory, String file, String key, Problems problems) {
        Path p = Path.of(value);
        Path first = workDir.resolve(p).normalize();
        Path second = baseDir == null ? null : baseDir.resolve(p).normalize();
        for (Path c : second == null || second.equals(first) || p.isAbsolute() ? new Path[] {first} : new Path[] {first, second})
            if (directory ? Files.isDirectory(c) : Files.isRegularFile(c)) return c;
        String what = directory ? "folder" : "file";
        problems.error(file, key, what + " '" + value + "' does not exist (looked at " + first
                + (second != null && !second.equals(first) && !p.isAbsolute() ? " and " + second : "") + ")");
        return null;
    }

    /**
     * The output_dir of {@code value}: a folder that may not exist yet, relative to the working directory; null after
     * reporting an empty value (which would be the working folder itself) or a path that is a file.
     */
    static Path outputFolder(Path workDir, String value, String file, String key, Problems problems) {
        if (value.isBlank()) {
            problems.error(file, key, "is empty, which would write checkpoints, caches and the LoRA into the working folder " + workDir
                    + ": name a folder for the run's outputs (created when missing), e.g. \"output/my-lora\"");
            return null;
        }
        Path p = output(workDir, value);
        if (Files.exists(p) && !Files.isDirectory(p)) {
            problems.error(file, key, "'" + value + "' (" + p + ") is a file, not a folder: name a folder for the run's outputs (created when missing)");
            return null;
        }
        return p;
    }

    /** A path that may not exist yet (outputs, caches), relative to the working directory. */
    static Path output(Path workDir, String value) {
        return workDir.resolve(value).normalize();
    }
}
