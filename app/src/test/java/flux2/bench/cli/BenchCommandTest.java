package flux2.bench.cli;

import flux2.app.CliRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.Parallel;
import org.junit.jupiter.api.Test;

/** The bench command through the real command line: one JSON line with the expected fields. */
class BenchCommandTest {
    private static CliRun run(String... args) { return CliRun.of(args); }

    @Test
    void matmulPrintsOneJsonLine() throws Exception {
        CliRun r = run("bench", "matmul", "--size", "64");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(1, lines.length, r.out());
        JsonNode json = new ObjectMapper().readTree(lines[0]);
        assertEquals("matmul", json.get("bench").asText());
        assertEquals(64, json.get("size").asInt());
        assertEquals(Parallel.threads(), json.get("threads").asInt());
        assertEquals("f32", json.get("dtype").asText());
        assertTrue(json.get("gflops").isNumber() && json.get("gflops").asDouble() > 0, lines[0]);
        assertTrue(json.get("peak_rss_mib").asDouble() > 0, "peak RSS is read from /proc: " + lines[0]);
        assertTrue(json.get("arena_peak_mib").asDouble() > 0, "the operands live in a tensor arena: " + lines[0]);
        assertEquals(7, json.size(), "square sizes print bench, size, threads, dtype, gflops and the memory peaks: " + lines[0]);
    }

    @Test
    void nonSquareBf16WithThreads() throws Exception {
        int saved = Parallel.threads();
        CliRun r = run("bench", "matmul", "--size", "32", "--m", "3", "--k", "70", "--threads", "1", "--dtype", "bf16", "--warmup", "0.1", "--runs", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out().strip());
        assertEquals(3, json.get("m").asInt());
        assertEquals(32, json.get("n").asInt());
        assertEquals(70, json.get("k").asInt());
        assertEquals(1, json.get("threads").asInt());
        assertEquals("bf16", json.get("dtype").asText());
        assertTrue(json.get("gflops").asDouble() > 0);
        assertEquals(saved, Parallel.threads(), "the thread count is restored");
    }

    @Test
    void badDtypeAndMissingSubcommandFail() {
        CliRun r = run("bench", "matmul", "--size", "8", "--dtype", "i8");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--dtype must be f32 or bf16"), r.err());
        CliRun none = run("bench");
        assertNotEquals(0, none.code());
        assertTrue(none.err().contains("matmul"), none.err());
    }
}
