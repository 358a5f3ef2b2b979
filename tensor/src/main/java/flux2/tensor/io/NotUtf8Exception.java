package flux2.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/** A text file that must be UTF-8 and is not: the message names the file, where decoding stopped and what the text looks like. */
public final class NotUtf8Exception extends IOException {
    private final Path file;
    private final String problem;

    public NotUtf8Exception(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    /** The file the problem is about. */
    public Path file() { return file; }

    /** The problem without the file name, for messages that name the file themselves. */
    public String problem() { return problem; }
}
