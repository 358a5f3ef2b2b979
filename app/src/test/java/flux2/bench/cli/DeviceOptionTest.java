package flux2.bench.cli;

import flux2.app.CliRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import flux2.trainer.config.ConfigLoader;
import flux2.examples.TinyProject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --device on train and the benchmarks, the config key, and doctor's device list. */
class DeviceOptionTest {
    @TempDir Path dir;

    @Test
    void configDeviceIsParsedAndDefaultsToCpu() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        ConfigLoader loader = new ConfigLoader(dir, Map.of());
        assertEquals("cpu", loader.load(cfg, List.of()).model().device().toString());
        assertEquals("cuda:1", loader.load(cfg, List.of("--device", "cuda:1")).model().device().toString());
    }

    @Test
    void trainRejectsABadDeviceBeforeAnyWork() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        CliRun r = CliRun.of("train", "--config", cfg.toString(), "--device", "gpu0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("device") && r.err().contains("'gpu0'") && r.err().contains("cpu, opencl:N or cuda:N"), r.err());
        assertTrue(r.err().contains(cfg.getFileName().toString()), "the error names the config file: " + r.err());
        assertFalse(Files.exists(dir.resolve("output")), "nothing written");
    }

    @Test
    void benchOnAnUnusableDeviceSaysWhy() {
        for (BackendProvider.Probe p : Backends.probeAll()) {
            if (p.usable()) continue;
            CliRun r = CliRun.of("bench", "matmul", "--size", "8", "--device", p.name() + ":0", "--warmup", "0", "--runs", "1");
            assertEquals(1, r.code(), r.err());
            assertEquals("error: device " + p.name() + ":0 cannot be used: " + p.detail(), r.err().strip());
        }
        CliRun bad = CliRun.of("bench", "flux2", "--device", "tpu");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("'tpu'") && bad.err().contains("cpu, opencl:N or cuda:N"), bad.err());
    }

    @Test
    void benchMatmulOnEachUsableDevice() {
        for (BackendProvider.Probe p : Backends.probeAll()) {
            if (!p.usable()) continue;
            String dev = p.name().equals("cpu") ? "cpu" : p.name() + ":0";
            CliRun r = CliRun.of("bench", "matmul", "--size", "64", "--dtype", "bf16", "--device", dev, "--warmup", "0", "--runs", "1");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("\"gflops\""), r.out());
            if (!dev.equals("cpu")) assertTrue(r.out().contains("\"device\":\"" + dev + "\""), r.out());
        }
    }

    @Test
    void doctorListsEveryBackend() {
        CliRun r = CliRun.of("doctor");
        assertEquals(0, r.code(), r.err());
        for (BackendProvider.Probe p : Backends.probeAll())
            assertTrue(r.out().contains("  " + p.name() + " "), p.name() + " missing from:\n" + r.out());
        assertTrue(r.out().contains("cuda"), r.out());
    }

    @Test
    void benchAttentionPrintsForwardAndBackward() throws Exception {
        CliRun r = CliRun.of("bench", "attention", "--heads", "2", "--tokens", "40", "--head-dim", "16", "--warmup", "0", "--runs", "1");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> passes = List.of("forward", "backward", "forward_backward");
        for (int i = 0; i < 3; i++) {
            var j = json.readTree(lines[i]);
            assertEquals(passes.get(i), j.get("pass").asText());
            assertTrue(j.get("of_sgemm").asDouble() > 0 && j.get("sgemm_gflops").asDouble() > 0, lines[i]);
            assertTrue(j.get("gflops").asDouble() > 0 && j.get("ms").asDouble() > 0, lines[i]);
            assertEquals(40, j.get("tokens").asInt());
        }
    }

    @Test
    void benchAttentionCausalCountsTheVisiblePairs() throws Exception {
        CliRun r = CliRun.of("bench", "attention", "--heads", "2", "--tokens", "40", "--head-dim", "16", "--warmup", "0", "--runs", "1", "--causal");
        assertEquals(0, r.code(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : r.out().strip().split("\n")) {
            var j = json.readTree(line);
            assertTrue(j.get("causal").asBoolean(), line);
            // forward FLOPs: 4 B H D times the 40 * 41 / 2 pairs the causal mask leaves; backward 10, both 14
            double perPair = switch (j.get("pass").asText()) {
                case "forward" -> 4.0;
                case "backward" -> 10.0;
                default -> 14.0;
            };
            double flops = perPair * 2 * 16 * 40 * 41 / 2;
            assertEquals(flops / (j.get("ms").asDouble() / 1e3) / 1e9, j.get("gflops").asDouble(), 0.01 * j.get("gflops").asDouble(), line);
        }
    }
}
