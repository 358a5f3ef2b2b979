package flux2.bench.cli;

import flux2.app.CliRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code bench vae} through the real command line: one JSON line with time and memory. */
class BenchVaeCommandTest {
    private static String[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new String[]{String.valueOf(r.code()), r.out(), r.err()};
    }

    @Test
    void decodePrintsTimeAndPeak() throws Exception {
        String[] r = run("bench", "vae", "--op", "decode", "--size", "32", "--runs", "1", "--warmup-runs", "0");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].strip().split("\n");
        assertEquals(1, lines.length, r[1]);
        JsonNode json = new ObjectMapper().readTree(lines[0]);
        assertEquals("vae", json.get("bench").asText());
        assertEquals("decode", json.get("op").asText());
        assertEquals(32, json.get("size").asInt());
        assertTrue(json.get("seconds").asDouble() > 0, lines[0]);
        double peak = json.get("peak_mib").asDouble(), naive = json.get("naive_mib").asDouble();
        assertTrue(peak > 0 && peak < naive, lines[0]);
    }

    @Test
    void badArgumentsFail() {
        String[] r = run("bench", "vae", "--op", "train");
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("--op must be encode or decode"), r[2]);
        r = run("bench", "vae", "--size", "40");
        assertNotEquals("0", r[0]);
        assertTrue(r[2].contains("multiple of 16"), r[2]);
    }
}
