package flux2.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernel program's list, program.txt: it names every OpenCL C file of gpu/src/main/cl (the CUDA-only
 * sources of cuda/ aside) once, common helpers first, and the program in the jar is those files in that order.
 */
class KernelSourcesTest {
    private static final Path SOURCES = Path.of("src/main/cl");

    @Test
    void programListNamesEverySharedSourceOnceCommonFirst() throws IOException {
        List<String> files = KernelSources.FILES;
        assertEquals("common.cl", files.getFirst(), "the helpers every kernel uses come first");
        assertEquals(files.size(), new TreeSet<>(files).size(), "no file listed twice: " + files);
        try (Stream<Path> cl = Files.list(SOURCES)) {
            TreeSet<String> onDisk = new TreeSet<>(cl.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cl")).toList());
            assertEquals(onDisk, new TreeSet<>(files), "program.txt must list exactly the .cl files of " + SOURCES);
        }
    }

    @Test
    void programIsTheListedFilesInOrder() {
        String program = KernelSources.program();
        int at = -1;
        for (String f : KernelSources.FILES) {
            int next = program.indexOf("// ---- " + f + "\n");
            assertTrue(next > at, f + " appears in program order");
            at = next;
        }
        assertEquals(List.of("a.cl", "b.cl"), KernelSources.files("# comment\n a.cl \n\n#b.cl\nb.cl\n"));
    }
}
