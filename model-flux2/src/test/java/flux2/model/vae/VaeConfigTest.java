package flux2.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Configs from the official parameters, a diffusers config.json and bad input. */
class VaeConfigTest {
    @Test
    void diffusersConfigOfFlux2DevEqualsTheOfficialDefaults() {
        String json = """
                {"_class_name": "AutoencoderKLFlux2", "act_fn": "silu", "batch_norm_eps": 0.0001, "batch_norm_momentum": 0.1,
                 "block_out_channels": [128, 256, 512, 512], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D",
                 "DownEncoderBlock2D", "DownEncoderBlock2D"], "force_upcast": true, "in_channels": 3, "latent_channels": 32,
                 "layers_per_block": 2, "mid_block_add_attention": true, "norm_num_groups": 32, "out_channels": 3,
                 "patch_size": [2, 2], "sample_size": 1024, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D",
                 "UpDecoderBlock2D", "UpDecoderBlock2D"], "use_post_quant_conv": true, "use_quant_conv": true}""";
        VaeConfig c = VaeConfig.fromDiffusersJson(json);
        assertEquals(VaeConfig.flux2(), c);
        assertEquals(128, c.latentChannels());
        assertEquals(16, c.pixelsPerLatent());
    }

    @Test
    void aDiffusersFolderBringsItsConfig(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"block_out_channels\": [32, 64], \"latent_channels\": 8}");
        VaeConfig c = VaeConfig.forCheckpoint(dir);
        assertArrayEquals(new int[]{1, 2}, c.chMult());
        assertEquals(8, c.zChannels());
        assertEquals(VaeConfig.flux2(), VaeConfig.forCheckpoint(dir.resolve("ae.safetensors")));
        java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"layers_per_block\": 2.5}");
        var e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.forCheckpoint(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("layers_per_block"), e.getMessage());
    }

    @Test
    void officialJsonOfTheGoldenFiles() {
        VaeConfig c = VaeConfig.fromOfficialJson("""
                {"in_channels": 3, "ch": 32, "out_ch": 3, "ch_mult": [1, 2], "num_res_blocks": 1, "z_channels": 8,
                 "bn_eps": 0.0001, "patch": [2, 2]}""");
        assertEquals(32, c.ch());
        assertArrayEquals(new int[]{1, 2}, c.chMult());
        assertEquals(1, c.numResBlocks());
        assertEquals(32, c.latentChannels());
        assertEquals(4, c.pixelsPerLatent());
    }

    @Test
    void badConfigsListEveryProblem() {
        var e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromDiffusersJson("""
                {"act_fn": "gelu", "block_out_channels": [128, 200], "down_block_types": ["DownEncoderBlock2D", "Other"],
                 "use_quant_conv": false}"""));
        String m = e.getMessage();
        assertTrue(m.contains("act_fn must be silu"), m);
        assertTrue(m.contains("not multiples of the first"), m);
        assertTrue(m.contains("may only hold DownEncoderBlock2D, got Other"), m);
        assertTrue(m.contains("use_quant_conv and use_post_quant_conv must agree"), m);
        assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromOfficialJson("{\"ch\": 30}"));
        assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromOfficialJson("[1]"));
        assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromOfficialJson("{\"ch\": \"x\"}"));
    }
}
