package flux2.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backend;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/ops.md is current: every {@link Backend} method has one row, every class, source file, kernel and test
 * it names exists, and every kernel of gpu/src/main/cl is named in a row.
 */
class OpIndexTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path CL = ROOT.resolve("gpu/src/main/cl");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Pattern KERNEL = Pattern.compile("__kernel\\s+(?:__attribute__\\s*\\(\\(.*?\\)\\)\\s+)?void\\s+(\\w+)\\s*\\(", Pattern.DOTALL);

    /** The rows of the table whose header row has these first cells, as maps from header to cell. */
    private static List<Map<String, String>> ops, devices;

    @BeforeAll
    static void read() throws IOException {
        List<String> lines = Files.readAllLines(ROOT.resolve("docs/ops.md"));
        ops = table(lines, "op");
        devices = table(lines, "`Backend`");
    }

    private static List<Map<String, String>> table(List<String> lines, String firstHeader) {
        List<Map<String, String>> rows = new ArrayList<>();
        String[] header = null;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                if (header != null && !rows.isEmpty()) break;
                continue;
            }
            String[] cells = Arrays.stream(line.substring(1, line.lastIndexOf('|')).split("\\|")).map(String::strip).toArray(String[]::new);
            if (header == null) {
                if (cells[0].equals(firstHeader)) header = cells;
                continue;
            }
            if (cells[0].startsWith("---")) continue;
            Map<String, String> row = new HashMap<>();
            for (int i = 0; i < header.length; i++) row.put(header[i], i < cells.length ? cells[i] : "");
            rows.add(row);
        }
        assertTrue(header != null && !rows.isEmpty(), "docs/ops.md has a table headed " + firstHeader);
        return rows;
    }

    /** The backticked names of a cell. */
    private static List<String> names(String cell) {
        List<String> out = new ArrayList<>();
        Matcher m = CODE.matcher(cell);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static Path java(String folder, String name) { return ROOT.resolve(folder).resolve(name.replace('.', '/') + ".java"); }

    /** A top-level class of one of the folders, or a nested class Outer.Inner declared in Outer's file. */
    private static boolean classExists(String name, String... folders) throws IOException {
        for (String folder : folders) {
            if (Files.exists(java(folder, name))) return true;
            int dot = name.lastIndexOf('.');
            if (dot > 0 && Files.exists(java(folder, name.substring(0, dot)))
                    && Files.readString(java(folder, name.substring(0, dot))).contains("class " + name.substring(dot + 1) + " "))
                return true;
        }
        return false;
    }

    @Test
    void everyBackendMethodHasOneRow() {
        List<String> listed = new ArrayList<>();
        for (Map<String, String> r : ops) listed.addAll(names(r.get("`Backend`")));
        for (Map<String, String> r : devices) listed.addAll(names(r.get("`Backend`")));
        Set<String> methods = new TreeSet<>();
        for (Method m : Backend.class.getDeclaredMethods()) if (!m.isSynthetic()) methods.add(m.getName());
        assertEquals(methods, new TreeSet<>(listed), "docs/ops.md lists every Backend method");
        assertEquals(listed.size(), new TreeSet<>(listed).size(), "each Backend method has one row: " + listed);
    }

    @Test
    void everyNamedClassExists() throws IOException {
        String tensor = "tensor/src/main/java/flux2/tensor", autograd = "autograd/src/main/java/flux2/autograd";
        for (Map<String, String> r : ops) {
            String op = r.get("op");
            for (String front : names(r.get("front"))) {
                int dot = front.indexOf('.');
                Path file = java(tensor, front.substring(0, dot));
                assertTrue(Files.exists(file) && Files.readString(file).contains(" " + front.substring(dot + 1) + "("),
                        op + ": front " + front + " is a method of " + file);
            }
            for (String c : names(r.get("autograd"))) assertTrue(classExists(c, autograd), op + ": autograd class " + c);
            for (String c : names(r.get("contract"))) assertTrue(classExists(c, tensor + "/ops"), op + ": contract record " + c);
            for (String c : names(r.get("CPU"))) assertTrue(classExists(c, tensor + "/cpu"), op + ": CPU file " + c);
            for (String c : names(r.get("GPU")))
                assertTrue(classExists(c, "gpu/src/main/java/flux2/gpu", "gpu-cuda/src/main/java/flux2/gpu/cuda"), op + ": GPU file " + c);
        }
        for (Map<String, String> r : devices)
            for (String column : List.of("CPU", "GPU"))
                for (String c : names(r.get(column)))
                    assertTrue(classExists(c, tensor + "/cpu", "gpu/src/main/java/flux2/gpu"), r.get("`Backend`") + ": " + c);
    }

    @Test
    void everyKernelIsInItsSourceAndInARow() throws IOException {
        Set<String> named = new TreeSet<>();
        for (Map<String, String> r : ops) {
            Set<String> inSources = new TreeSet<>();
            for (String source : names(r.get("source"))) {
                Path file = CL.resolve(source);
                assertTrue(Files.exists(file), r.get("op") + ": kernel source " + file);
                inSources.addAll(kernels(file));
            }
            for (String k : names(r.get("kernels"))) {
                assertTrue(inSources.contains(k), r.get("op") + ": kernel " + k + " is in " + r.get("source"));
                named.add(k);
            }
        }
        Set<String> all = new TreeSet<>();
        try (Stream<Path> files = Files.walk(CL)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cl")).toList()) all.addAll(kernels(f));
        }
        assertEquals(all, named, "every kernel of " + CL + " is named in docs/ops.md");
    }

    private static List<String> kernels(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = KERNEL.matcher(Files.readString(file));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void everyNamedTestExists() throws IOException {
        Set<String> tests = new TreeSet<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path testRoot : modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList())
                try (Stream<Path> files = Files.walk(testRoot)) {
                    files.filter(p -> p.toString().endsWith("Test.java")).forEach(p -> tests.add(p.getFileName().toString().replace(".java", "")));
                }
        }
        for (Map<String, String> r : ops)
            for (String t : names(r.get("tests"))) assertTrue(tests.contains(t), r.get("op") + ": test " + t + " exists");
    }
}
