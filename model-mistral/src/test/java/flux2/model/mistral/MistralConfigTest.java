package flux2.model.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Config parsing from Mistral3 and plain Mistral config.json text. */
class MistralConfigTest {
    @Test
    void readsTextConfigOfMistral3() {
        String json = """
                {"architectures": ["Mistral3ForConditionalGeneration"], "image_token_index": 10,
                 "text_config": {"model_type": "mistral", "vocab_size": 131072, "hidden_size": 5120, "num_hidden_layers": 40,
                   "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 32768,
                   "rms_norm_eps": 1e-05, "rope_theta": 1000000000.0, "sliding_window": null},
                 "vision_config": {"hidden_size": 1024}}""";
        MistralConfig c = MistralConfig.parse(json);
        assertEquals(MistralConfig.mistralSmall3().toString().replaceAll("@\\w+", ""), c.toString().replaceAll("@\\w+", ""));
        assertEquals(128, c.headDim());
        assertEquals(30, c.layersNeeded());
        assertEquals(15360, c.embedWidth());
    }

    @Test
    void plainMistralWithoutHeadDimAndWithRopeParameters() {
        MistralConfig c = MistralConfig.parse("""
                {"vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "intermediate_size": 96, "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0},
                 "output_layers": [1, 2]}""");
        assertEquals(16, c.headDim());
        assertEquals(4, c.numKvHeads());
        assertEquals(10000.0, c.ropeTheta());
        assertArrayEquals(new int[]{1, 2}, c.outputLayers());
    }

    @Test
    void reportsEveryMissingField() {
        var e = assertThrows(IllegalArgumentException.class, () -> MistralConfig.parse("{\"hidden_size\": 64}"));
        assertTrue(e.getMessage().contains("vocab_size, num_hidden_layers, num_attention_heads, intermediate_size, rope_theta"), e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> MistralConfig.parse("""
                {"vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 6, "num_key_value_heads": 4,
                 "intermediate_size": 96, "rope_theta": 1e6, "output_layers": [3]}"""));
        assertTrue(bad.getMessage().contains("multiple of num_key_value_heads") && bad.getMessage().contains("output layer 3"), bad.getMessage());
    }
}
