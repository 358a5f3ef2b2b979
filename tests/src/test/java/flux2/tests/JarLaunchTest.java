package flux2.tests;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Runs the shaded jar the way a user does: plain {@code java -jar}, no flags. */
class JarLaunchTest {
    static final Path JAR = Path.of("..", "app", "target", "flux2-trainer.jar");

    record Result(int code, String out, String err) {}

    static Result run(String java, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("FLUX2_RELAUNCHED");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out, err);
    }

    static String currentJava() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    @Test
    void plainJavaJarRelaunchesWithVectorApi() throws Exception {
        assumeTrue(Files.exists(JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        Result v = run(currentJava(), "--version");
        assertEquals(0, v.code(), v.err());
        assertTrue(v.out().startsWith("flux2-trainer "), v.out());
        Result d = run(currentJava(), "doctor");
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("SIMD:") && d.out().contains("-bit vectors"), d.out());
        assertTrue(d.out().contains("cpu") && d.out().contains("usable"), d.out());
        Result h = run(currentJava(), "--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("doctor") && h.out().contains("inspect") && h.out().contains("bench"), h.out());
    }

    @Test
    void oldJdkGetsOneClearLine() throws Exception {
        assumeTrue(Files.exists(JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        Path old;
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            old = jdks.filter(p -> p.getFileName().toString().matches(".*-(8|11|17|21)(-.*)?"))
                    .map(p -> p.resolve("bin/java")).filter(Files::isExecutable).findFirst().orElse(null);
        } catch (IOException e) {
            old = null;
        }
        assumeTrue(old != null, "no older JDK installed here");
        Result r = run(old.toString(), "--version");
        assertEquals(2, r.code());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].contains("needs Java 25"), lines[0]);
    }
}
