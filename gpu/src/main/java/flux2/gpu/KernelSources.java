package flux2.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The OpenCL C 1.2 kernel program shared by every GPU driver: the files of {@code gpu/src/main/cl}, found in
 * the jar under {@code flux2/gpu/kernels/}, concatenated in the order {@code program.txt} lists them (common
 * helpers first). The same text compiles for OpenCL devices and, with clang's nvptx64 target and libclc, to
 * PTX (scripts/build-ptx.sh reads the same list).
 */
public final class KernelSources {
    /** The list of the program's files, one a line, {@code #} starting a comment line. */
    public static final String PROGRAM_LIST = "program.txt";

    /** The files, in program order. */
    public static final List<String> FILES = files(read(PROGRAM_LIST));

    private KernelSources() {}

    /** The file names of a program list: its lines without blanks and comments. */
    static List<String> files(String list) {
        return list.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    /** The whole program text. */
    public static String program() {
        StringBuilder sb = new StringBuilder();
        for (String f : FILES) sb.append("// ---- ").append(f).append('\n').append(read(f)).append('\n');
        return sb.toString();
    }

    /** The text of one file under {@code flux2/gpu/kernels/} (a kernel source, or the program list). */
    public static String read(String file) {
        String path = "/flux2/gpu/kernels/" + file;
        try (InputStream in = KernelSources.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("kernel source " + path + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel source " + path, e);
        }
    }
}
