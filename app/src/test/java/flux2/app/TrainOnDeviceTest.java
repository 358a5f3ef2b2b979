package flux2.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import flux2.examples.TinyProject;
import flux2.trainer.train.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `train --device` on every usable device backend (PoCL in CI): the tiny project trains there, writes its
 * LoRA, checkpoint and validation images, and its losses and gradient norms are the CPU run's.
 */
class TrainOnDeviceTest {
    @TempDir Path dir;

    @Test
    void tinyTrainingOnEachDeviceMatchesTheCpu() throws Exception {
        List<String> devices = Backends.probeAll().stream().filter(p -> p.usable() && !p.name().equals("cpu"))
                .map(p -> p.name() + ":0").toList();
        Assumptions.assumeFalse(devices.isEmpty(), "no usable device backend: " + Backends.probeAll());
        Path cfg = TinyProject.write(dir, Map.of("max_train_steps", 2, "checkpoint_step_interval", 1000,
                "validation_step_interval", 1000, "validation_num_inference_steps", 2));
        List<Metrics.Line> cpu = train(cfg, "cpu");
        for (String device : devices) {
            List<Metrics.Line> dev = train(cfg, device);
            assertEquals(cpu.size(), dev.size());
            for (int i = 0; i < cpu.size(); i++) {
                double lc = cpu.get(i).loss(), ld = dev.get(i).loss();
                double gc = cpu.get(i).gradNorm(), gd = dev.get(i).gradNorm();
                System.out.printf("%s step %d: loss %.7g (cpu %.7g), grad norm %.7g (cpu %.7g)%n", device, i + 1, ld, lc, gd, gc);
                assertEquals(lc, ld, 1e-4 * Math.abs(lc), device + " loss at step " + (i + 1));
                assertEquals(gc, gd, 1e-4 * Math.abs(gc), device + " gradient norm at step " + (i + 1));
            }
        }
    }

    private List<Metrics.Line> train(Path cfg, String device) throws Exception {
        Path out = dir.resolve("out-" + device.replace(':', '-'));
        CliRun r = CliRun.of("train", "--config", cfg.toString(), "--device", device, "--output_dir", out.toString());
        assertEquals(0, r.code(), device + ":\n" + r.err());
        assertTrue(Files.exists(out.resolve("pytorch_lora_weights.safetensors")), device + " wrote its LoRA");
        try (var s = Files.list(out.resolve("validation_images"))) {
            assertTrue(s.findAny().isPresent(), device + " wrote validation images");
        }
        return Metrics.read(out.resolve("metrics.jsonl"));
    }
}
