package flux2.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The OpenCL C 1.2 kernel program shared by every GPU driver: the files under {@code flux2/gpu/kernels/}
 * concatenated in a fixed order (common helpers first). The same text compiles for OpenCL devices and, with
 * clang's nvptx64 target and libclc, to PTX.
 */
public final class KernelSources {
    /** The files, in program order. */
    public static final List<String> FILES = List.of(
            "common.cl", "copy.cl", "elementwise.cl", "reduce.cl", "norms.cl", "matmul.cl",
            "attention.cl", "conv.cl", "index.cl", "adamw.cl");

    private KernelSources() {}

    /** The whole program text. */
    public static String program() {
        StringBuilder sb = new StringBuilder();
        for (String f : FILES) sb.append("// ---- ").append(f).append('\n').append(read(f)).append('\n');
        return sb.toString();
    }

    /** The text of one kernel file. */
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
