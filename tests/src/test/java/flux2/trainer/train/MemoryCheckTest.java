package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.nn.Parameter;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraTargets;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import flux2.trainer.config.ConfigLoader;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.TrainingData;
import flux2.examples.TinyModel;
import flux2.examples.TinyProject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory pre-flight check: its estimate against the real model, and refusals that say what to lower. */
class MemoryCheckTest {
    @TempDir Path dir;

    static final long GIB = 1L << 30;

    TrainConfig config(Map<String, Object> settings, String... overrides) throws Exception {
        Path cfg = TinyProject.write(dir, settings);
        return new ConfigLoader(dir, Map.of()).load(cfg, List.of(overrides));
    }

    static long trainable(Map<String, Parameter> params) {
        long n = 0;
        for (Parameter p : params.values()) n += p.value().numel();
        return n;
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected «" + part + "» in:\n" + text);
    }

    @Test
    void loraPartIsExactlyTheParametersOfTheAttachedLora() throws Exception {
        for (String[] o : List.of(new String[0], new String[]{"--lora_rank", "7", "--peft_lora_target_modules", "[\"to_q\", \"linear1\", \"ff.linear_out\"]"})) {
            TrainConfig c = config(Map.of(), o);
            MemoryCheck.ModelShape m = MemoryCheck.ModelShape.of(c.model().location());
            long want;
            try (TensorArena a = TensorArena.open("lora")) {
                Flux2Transformer model = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
                List<String> targets = c.lora().targetModules() != null ? c.lora().targetModules() : LoraTargets.preset(c.lora().targetPreset());
                want = trainable(Lora.attach(model, targets, new Lora.Config(c.lora().rank(), 1, 0, 1), new Rng(1), a).namedParameters());
            }
            MemoryCheck.Part lora = MemoryCheck.training(c, m, 64, 1).parts().getFirst();
            assertEquals(16 * want, lora.bytes(), lora.what());
        }
    }

    @Test
    void fullTrainingCountsEveryLinearWeightAndQuantizationItsBytes() throws Exception {
        TrainConfig c = config(Map.of("model_type", "full"));
        long all;
        try (TensorArena a = TensorArena.open("full")) {
            all = trainable(new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a).namedParameters());
        }
        long bytes = MemoryCheck.training(c, MemoryCheck.ModelShape.of(c.model().location()), 64, 1).parts().getFirst().bytes();
        assertTrue(bytes <= 16 * all && bytes >= 0.95 * 16 * all, bytes + " of " + 16 * all + ": the Linear weights, a lower bound");
        TrainConfig q = config(Map.of("base_model_precision", "int8"));
        var parts = MemoryCheck.training(q, MemoryCheck.ModelShape.of(q.model().location()), 64, 1).parts();
        assertTrue(parts.stream().anyMatch(p -> p.what().startsWith("quantized transformer weights (int8") && p.bytes() > 0.95 * all / 1.0 && p.bytes() < all), parts.toString());
    }

    @Test
    void aRunThatCannotFitIsRefusedWithTheEstimateAndTheSettingsToLower() throws Exception {
        TrainConfig c = config(Map.of(), "--lora_rank", "4096");
        MemoryCheck.Estimate e = MemoryCheck.training(c, MemoryCheck.ModelShape.of(c.model().location()), 64, 1);
        MemoryCheck.require(e, 64 * GIB, "this training run");
        RunRefused r = assertThrows(RunRefused.class, () -> MemoryCheck.require(e, GIB / 16, "this training run"));
        assertContains(r.getMessage(), "this training run needs at least ");
        assertContains(r.getMessage(), "of memory, more than the 0.1 GiB this machine has");
        assertContains(r.getMessage(), "LoRA weights, gradients and AdamW moments (");
        assertContains(r.getMessage(), "parameters at rank 4096 x 16 bytes): ");
        assertContains(r.getMessage(), "lower lora_rank or adapt fewer layers");
        assertContains(r.getMessage(), "training activations (batch 1 x 112 tokens, gradient checkpointing on)");
    }

    @Test
    void aLargeValidationResolutionIsNamedWhenItIsThePeak() throws Exception {
        TrainConfig c = config(Map.of("validation_resolution", "8192x8192"));
        MemoryCheck.Estimate e = MemoryCheck.training(c, MemoryCheck.ModelShape.of(c.model().location()), 64, 1);
        RunRefused r = assertThrows(RunRefused.class, () -> MemoryCheck.require(e, GIB, "this training run"));
        assertContains(r.getMessage(), "sampling a 8192x8192 image (262192 tokens, and the decoded image)");
        assertContains(r.getMessage(), "lower validation_resolution");
        // FLUX.2-dev: 16 pixels a token, 512 prompt tokens; one 1024x1024 image: 4608 tokens x 6144 x 8 floats + the image
        MemoryCheck.ModelShape dev = new MemoryCheck.ModelShape(Flux2Config.dev(), 16, 512);
        assertEquals(4L * 4608 * 6144 * 8 + 12L * 1024 * 1024, MemoryCheck.sampling(dev, 1024, 1024, "no_change").total());
        assertThrows(RunRefused.class, () -> MemoryCheck.require(MemoryCheck.sampling(dev, 8192, 8192, "int8"), 64 * GIB, "sampling"));
    }

    @Test
    void theBatchIsNoLargerThanTheDataAllow() throws Exception {
        TrainConfig c = config(Map.of("train_batch_size", 64, "disable_bucket_pruning", true));
        TrainingData data = TrainingData.open(c, 1, s -> {});
        assertContains(MemoryCheck.training(c, data).parts().getLast().what(), "batch 4 x 64 tokens");
    }

    @Test
    void trainRefusesARunNoMachineCanHoldBeforeBuildingCaches() throws Exception {
        Path cfg = TinyProject.write(dir, Map.of("train_batch_size", 1024, "gradient_checkpointing", false, "disable_bucket_pruning", true));
        Path backends = dir.resolve("multidatabackend.json");
        Files.writeString(backends, Files.readString(backends).replace("\"resolution\" : 64", "\"resolution\" : 8192, \"repeats\" : 255"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = flux2.app.Main.run("train", "--config", cfg.toString());
        } finally {
            System.setErr(old);
        }
        String m = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, m);
        assertContains(m, "error: this training run needs at least ");
        assertContains(m, "training activations (batch 1024 x 262192 tokens, gradient checkpointing off)");
        assertContains(m, "lower train_batch_size or the datasets' resolution, or turn gradient_checkpointing on");
        assertFalse(Files.exists(dir.resolve("cache")), "no cache was built");
    }
}
