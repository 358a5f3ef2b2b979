package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** Config from official names, from a diffusers config.json, presets, and bad values. */
class Flux2ConfigTest {
    @Test
    void diffusersConfigOfDevEqualsTheDevPreset() {
        String json = """
                {"_class_name": "Flux2Transformer2DModel", "patch_size": 1, "in_channels": 128, "out_channels": null,
                 "num_layers": 8, "num_single_layers": 48, "attention_head_dim": 128, "num_attention_heads": 48,
                 "joint_attention_dim": 15360, "timestep_guidance_channels": 256, "mlp_ratio": 3.0,
                 "axes_dims_rope": [32, 32, 32, 32], "rope_theta": 2000, "eps": 1e-6, "guidance_embeds": true}""";
        assertEquals(Flux2Config.dev(), Flux2Config.fromDiffusersJson(json));
        assertEquals(18432, Flux2Config.dev().mlpHidden());
    }

    @Test
    void kleinHasNoGuidanceEmbedder() {
        Flux2Config k = Flux2Config.fromDiffusersJson("""
                {"num_layers": 5, "num_single_layers": 20, "num_attention_heads": 24, "joint_attention_dim": 7680, "guidance_embeds": false}""");
        assertEquals(Flux2Config.klein4b(), k);
        Flux2Config tiny = new Flux2Config(8, 16, 32, 2, 1, 1, new int[]{4, 4, 4, 4}, 2000, 3.0, false);
        try (TensorArena a = TensorArena.create("t")) {
            var names = new Flux2Transformer(tiny, DType.BF16, a).namedParameters().keySet();
            assertFalse(names.stream().anyMatch(n -> n.startsWith("guidance_in")), names.toString());
            assertTrue(names.contains("single_blocks.0.linear1.weight"));
        }
    }

    @Test
    void badConfigsListTheirProblems() {
        var e = assertThrows(IllegalArgumentException.class, () -> Flux2Config.fromOfficialJson("{\"hidden_size\": 60, \"num_heads\": 7, \"depht\": 2}"));
        assertTrue(e.getMessage().contains("depht"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Flux2Config.fromOfficialJson("{\"hidden_size\": 64, \"num_heads\": 4, \"axes_dim\": [4, 4, 4, 3]}"));
        assertTrue(e.getMessage().contains("axes_dim"), e.getMessage());
    }
}
