package flux2.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The rule the example writers share: never write into a folder that holds files unless told to. */
final class ExampleFolders {
    private ExampleFolders() {}

    /** True (after saying why on stderr) when {@code out} has files and {@code force} is off. */
    static boolean refuses(Path out, boolean force) throws IOException {
        if (force || !Files.isDirectory(out)) return false;
        try (Stream<Path> s = Files.list(out)) {
            if (s.findAny().isEmpty()) return false;
        }
        System.err.println("error: " + out + " is not empty; use --force to write over it");
        return true;
    }
}
