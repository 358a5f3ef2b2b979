package flux2.trainer.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.mistral.MistralConfig;
import flux2.quant.Precision;
import flux2.trainer.models.ModelParts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plan of FLUX.2-dev, from its transformer/config.json alone, against the published sizes of its weights. */
class Flux2DevPlanTest {
    @TempDir Path dir;

    /** FLUX.2-dev's transformer/config.json (diffusers, Flux2Transformer2DModel). */
    static final String DEV_CONFIG = """
            {"_class_name": "Flux2Transformer2DModel", "patch_size": 1, "in_channels": 128, "out_channels": null, "num_layers": 8,
             "num_single_layers": 48, "attention_head_dim": 128, "num_attention_heads": 48, "joint_attention_dim": 15360,
             "timestep_guidance_channels": 256, "mlp_ratio": 3.0, "axes_dims_rope": [32, 32, 32, 32], "rope_theta": 2000,
             "eps": 1e-6, "guidance_embeds": true}""";

    static final double GB = 1e9;

    Flux2Config dev() throws Exception {
        Path t = Files.createDirectories(dir.resolve("transformer"));
        Files.writeString(t.resolve("config.json"), DEV_CONFIG);
        return ModelParts.transformerConfig(t);
    }

    static void assertWithin(double want, double got, double rel, String what) {
        assertTrue(Math.abs(got - want) <= rel * want, what + ": " + got / GB + " GB, want " + want / GB + " GB within " + rel * 100 + " %");
    }

    @Test
    void weightsMatchThePublishedSizesPerBlockAndInEachPrecision() throws Exception {
        Flux2Config c = dev();
        assertEquals(Flux2Config.dev().hiddenSize(), c.hiddenSize());
        assertWithin(0.98e9, WeightBytes.singleBlock(c, Precision.BF16), 0.01, "single block, BF16");
        assertWithin(1.96e9, WeightBytes.doubleBlock(c, Precision.BF16), 0.01, "double block, BF16");
        assertWithin(64.5e9, WeightBytes.transformer(c, Precision.BF16), 0.01, "transformer, BF16");
        assertWithin(32e9, WeightBytes.transformer(c, Precision.INT8), 0.02, "transformer, int8");
        assertWithin(17e9, WeightBytes.transformer(c, Precision.INT4), 0.03, "transformer, int4");
        assertEquals(WeightBytes.transformer(c, Precision.BF16), WeightBytes.transformer(c, Precision.NO_CHANGE));
    }

    PlanSettings settings(Flux2Config c, String precision, boolean ckpt, long memory) {
        Set<String> adapted = Set.copyOf(LoraTargets.resolve(Flux2Linears.of(c).keySet(), LoraTargets.preset("all")));
        // 1024 x 1024 at 16 pixels a token: 4096 image tokens, and 512 text tokens
        return new PlanSettings(c, MistralConfig.mistralSmall3(), 512, 16, precision, "no_change", false, 16, adapted, 4096, 1, ckpt,
                "cuda:0", false, memory);
    }

    @Test
    void anEightyGigabyteGpuNeedsInt8AtOneMegapixelAndThePlanSaysSo() throws Exception {
        Flux2Config c = dev();
        MemoryPlan bf16 = MemoryPlanner.plan(settings(c, "no_change", true, 80_000_000_000L));
        String table = PlanReport.table(bf16);
        assertFalse(bf16.fits(), table);
        assertTrue(table.contains("does not fit"), table);
        assertTrue(bf16.fixes().stream().anyMatch(f -> f.startsWith("base_model_precision \"int8-quanto\"")), table);
        assertTrue(table.contains("activations, batch 1 x (4096 image + 512 text tokens), gradient checkpointing on"), table);
        assertTrue(table.contains("text encoder, BF16 (30 Mistral layers)"), table);
        MemoryPlan int8 = MemoryPlanner.plan(settings(c, "int8-quanto", true, 80_000_000_000L));
        assertTrue(int8.fits(), PlanReport.table(int8));
        // the activations grow with the tokens; without checkpointing far more than with it
        long with = StepActivations.bytes(c, settings(c, "int8", true, 0).adapted(), 16, false, 4096, 512, 1, true);
        long without = StepActivations.bytes(c, settings(c, "int8", true, 0).adapted(), 16, false, 4096, 512, 1, false);
        assertTrue(without > 5 * with, with + " vs " + without);
        assertEquals(2 * with, StepActivations.bytes(c, settings(c, "int8", true, 0).adapted(), 16, false, 4096, 512, 2, true), 2);
        // the Mistral text encoder: about 24 B parameters, but only the 30 layers FLUX.2 reads run
        long te = WeightBytes.textEncoder(MistralConfig.mistralSmall3(), Precision.BF16);
        assertTrue(te > 30e9 && te < 40e9, te / GB + " GB");
        // the JSON form holds the same numbers
        String json = PlanReport.json(bf16);
        assertTrue(json.contains("\"device_total_bytes\":" + bf16.deviceTotal()), json);
        assertTrue(json.contains("\"fits\":false"), json);
    }
}
