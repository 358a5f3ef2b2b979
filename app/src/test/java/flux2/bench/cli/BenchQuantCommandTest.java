package flux2.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.app.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench quant on tiny sizes through the real command line: one JSON line per case, plus the load line. */
class BenchQuantCommandTest {
    @TempDir Path dir;

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

    @Test
    void tinyRunPrintsEveryCaseAndTheLoadFigures() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = run(out, err, "bench", "quant", "--tokens", "7,20", "--shape", "256x48", "--runs", "1",
                "--load-mib", "2", "--dir", dir.resolve("ckpt").toString());
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        List<JsonNode> lines = new ArrayList<>();
        for (String l : out.toString(StandardCharsets.UTF_8).strip().split("\n")) lines.add(new ObjectMapper().readTree(l));
        assertEquals(4 * 2 + 1, lines.size(), out.toString(StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        for (JsonNode j : lines.subList(0, 8)) {
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
        JsonNode load = lines.get(8);
        assertEquals("load", load.get("phase").asText());
        assertEquals("int8-col", load.get("dtype").asText());
        assertEquals(2.0, load.get("source_mib").asDouble(), 0.01);
        assertTrue(load.get("gbps").asDouble() > 0 && load.get("peak_rss_mib").asDouble() > 0, load.toString());
        assertTrue(Files.list(dir.resolve("ckpt")).count() >= 1, "an explicit --dir is kept");
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
