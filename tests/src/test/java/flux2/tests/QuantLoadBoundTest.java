package flux2.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantize-on-load holds one source tensor at a time: {@code bench quant --load-mib} in a JVM of its own whose heap is
 * fixed and touched up front, so that the resident set grows only with what the quantizer maps and allocates. At 160
 * MiB the checkpoint is three tensors of about 80 MiB, so a loader that kept them all resident would break the bound
 * it checks (the result, one source tensor and 64 MiB).
 */
class QuantLoadBoundTest {
    @TempDir Path dir;

    @Test
    void quantizingACheckpointOnLoadStaysWithinOneSourceTensorOfTheResult() throws Exception {
        assumeTrue(Files.exists(JarLaunchTest.JAR), "the jar is built by 'package'; run bin/test (mvn verify)");
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        List<String> cmd = List.of(JarLaunchTest.currentJava(), "-Xms160m", "-Xmx160m", "-XX:+AlwaysPreTouch", "-jar", JarLaunchTest.JAR.toString(),
                "bench", "quant", "--tokens", "7", "--shape", "256x48", "--runs", "1", "--dtypes", "int8", "--load-mib", "160",
                "--dir", dir.resolve("ckpt").toString());
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "bench quant finished");
        assertEquals(0, p.exitValue(), Files.readString(err));
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        JsonNode load = new ObjectMapper().readTree(lines.getLast());
        assertEquals("load", load.get("phase").asText());
        assertEquals("int8-col", load.get("dtype").asText());
        assertTrue(load.get("source_mib").asDouble() >= 160, load.toString());
        assertTrue(load.get("tensors").asInt() >= 3, load.toString());
        assertTrue(load.get("peak_reset").asBoolean(), load.toString());
        assertTrue(load.get("within_bound").asBoolean(), load.toString());
        assertTrue(load.get("gbps").asDouble() > 0, load.toString());
        assertTrue(Files.list(dir.resolve("ckpt")).count() >= 1, "an explicit --dir is kept");
    }
}
