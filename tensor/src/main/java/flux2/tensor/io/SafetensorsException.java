package flux2.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file or sharded checkpoint that cannot be read or written. The message is one line that names
 * the file and, where relevant, the tensor and what is wrong with it.
 */
public final class SafetensorsException extends IOException {
    private final Path file;

    public SafetensorsException(Path file, String problem) {
        this(file, problem, null);
    }

    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(oneLine(file + ": " + problem), cause);
        this.file = file;
    }

    /** An error about one tensor of {@code file}. */
    public static SafetensorsException tensor(Path file, String name, String problem) {
        return new SafetensorsException(file, "tensor " + quote(name) + ": " + problem);
    }

    /** The file the error is about. */
    public Path file() { return file; }

    /** A tensor name in quotes, shortened and with control characters escaped, for messages. */
    static String quote(String name) {
        String n = name.length() > 200 ? name.substring(0, 200) + "..." : name;
        return "'" + n + "'";
    }

    /** Escapes control characters so that a message read from a corrupt file stays on one line. */
    private static String oneLine(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029 || c == 0x85) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }
}
