package flux2.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bench quant on tiny sizes through the real command line: one JSON line per case. */
class BenchQuantCommandTest {
    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * The case lines; the quantize-on-load line is checked in a JVM of its own (QuantLoadBoundTest in the tests
     * module), since this JVM's resident set also holds what the other tests grew.
     */
    @Test
    void tinyRunPrintsEveryCase() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = run(out, err, "bench", "quant", "--tokens", "7,20", "--shape", "256x48", "--runs", "1");
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        List<JsonNode> lines = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).strip().split("\n")) lines.add(new ObjectMapper().readTree(l));
        assertEquals(4 * 2, lines.size(), out.toString(StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (JsonNode j : lines) {
            assertEquals("quant", j.get("bench").asText());
            assertEquals(256, j.get("in").asInt());
            assertEquals(48, j.get("out").asInt());
            assertTrue(j.get("gflops").asDouble() > 0, j.toString());
            seen.add(j.get("dtype").asText() + "/" + j.get("tokens").asInt());
        }
        assertEquals(List.of("f32/7", "f32/20", "bf16/7", "bf16/20", "int8/7", "int8/20", "int4/7", "int4/20"), seen);
        assertEquals(4.0, lines.get(0).get("bytes_per_param").asDouble());
        // Values, then a scale per row (int8) or group of 128 (int4), then one per input column (4 / out).
        assertEquals(1 + 4.0 / 256 + 4.0 / 48, lines.get(4).get("bytes_per_param").asDouble(), 1e-3);
        assertEquals(0.5 + 4.0 / 128 + 4.0 / 48, lines.get(6).get("bytes_per_param").asDouble(), 1e-3);
    }

    @Test
    void badOptionsAreRejected() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertTrue(run(out, err, "bench", "quant", "--shape", "64by32") != 0);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--shape takes INxOUT"), err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertTrue(run(out, err, "bench", "quant", "--dtypes", "fp8") != 0);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--dtypes takes f32, bf16, int8, int4"), err.toString(StandardCharsets.UTF_8));
    }
}
