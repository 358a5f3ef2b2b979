package flux2.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.examples.TinyProject;
import flux2.tensor.Backends;
import flux2.tensor.io.StrictJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `plan`: the memory table of a config, for a device here or one given by its memory, and `train` refusing a run that cannot fit. */
class PlanCommandTest {
    @TempDir Path dir;

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected «" + part + "» in:\n" + text);
    }

    @Test
    void printsTheTableOfTheRunOnTheCpu() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        CliRun r = CliRun.of("plan", "--config", cfg.toString());
        assertEquals(0, r.code(), r.err());
        assertContains(r.out(), "memory plan, device cpu (host memory)");
        assertContains(r.out(), "base weights, BF16");
        assertContains(r.out(), "LoRA weights and gradients, F32");
        assertContains(r.out(), "AdamW moments, F32");
        assertContains(r.out(), "gradient checkpointing on");
        assertContains(r.out(), "gradient checkpointing off");
        assertContains(r.out(), "text encoder, BF16");
        assertContains(r.out(), "fits: ");
    }

    @Test
    void plansForADeviceThatIsNotHereFromItsMemoryAndNamesWhatWouldFit() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("train_batch_size", 4, "gradient_checkpointing", false));
        CliRun big = CliRun.of("plan", "--config", cfg.toString(), "--device", "cuda:3", "--memory", "80GB", "--json");
        assertEquals(0, big.code(), big.err());
        JsonNode j = StrictJson.mapper().readTree(big.out());
        assertEquals("cuda:3", j.get("device").asText());
        assertEquals(80_000_000_000L, j.get("device_memory_bytes").asLong());
        assertTrue(j.get("fits").asBoolean());
        long total = j.get("device_total_bytes").asLong();
        assertTrue(total > 0);
        // a device too small for the configured batch without checkpointing, large enough with checkpointing or batch 1
        long tight = total * 2 / 3;
        CliRun small = CliRun.of("plan", "--config", cfg.toString(), "--device", "cuda:3", "--memory", Long.toString(tight));
        assertEquals(1, small.code(), small.out() + small.err());
        assertContains(small.out(), "memory plan, device cuda:3");
        assertContains(small.out(), "does not fit: ");
        assertContains(small.out(), "settings that fit:");
        assertContains(small.out(), "gradient_checkpointing true");
        assertContains(small.out(), "host");
    }

    @Test
    void aBadMemorySizeOrAnAbsentDeviceWithoutOneIsAClearError() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of());
        CliRun bad = CliRun.of("plan", "--config", cfg.toString(), "--memory", "lots");
        assertEquals(2, bad.code());
        assertContains(bad.err(), "--memory='lots'");
        assertContains(bad.err(), "GiB");
        Assumptions.assumeFalse(Backends.probeAll().stream().anyMatch(p -> p.name().equals("cuda") && p.usable()), "a CUDA device is here");
        CliRun absent = CliRun.of("plan", "--config", cfg.toString(), "--device", "cuda:0");
        assertEquals(2, absent.code());
        assertContains(absent.err(), "device cuda:0 cannot be used");
        assertContains(absent.err(), "give its memory with --memory SIZE");
    }

    @Test
    void trainOnADeviceUnderAMemoryCapStopsBeforeLoadingWithThePlan() throws Exception {
        Assumptions.assumeTrue(Backends.probeAll().stream().anyMatch(p -> p.name().equals("opencl") && p.usable()), "no OpenCL device");
        Path cfg = TinyProject.write(dir, Map.of("gradient_checkpointing", false));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dflux2.gpu.memoryLimit=1M", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        List<String> plan = new ArrayList<>(cmd);
        plan.addAll(List.of("plan", "--config", cfg.toString(), "--device", "opencl:0"));
        Process p = new ProcessBuilder(plan).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor(), out);
        assertContains(out, "memory plan, device opencl:0, 1.0 MiB available");
        List<String> train = new ArrayList<>(cmd);
        train.addAll(List.of("train", "--config", cfg.toString(), "--device", "opencl:0"));
        p = new ProcessBuilder(train).redirectErrorStream(true).start();
        out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor(), out);
        assertContains(out, "error: this training run needs ");
        assertContains(out, " on opencl:0, which holds 1.0 MiB (no model was loaded");
        assertContains(out, "device total (the larger phase)");
        assertFalse(Files.exists(dir.resolve("cache")), "no cache was built");
    }
}
