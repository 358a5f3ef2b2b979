package flux2.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Key names of both checkpoint layouts, and one clear error for every kind of mismatch. */
class VaeWeightsTest {
    private static final VaeConfig SMALL = new VaeConfig(3, 32, 3, new int[]{1, 2}, 1, 4, 32, true, true, 1e-4, 2);

    @Test
    void fullSizeParameterCountMatchesTheOfficialModel() {
        long params = 0;
        for (int[] s : VaeKeys.official(VaeConfig.flux2()).values()) {
            long n = 1;
            for (int d : s) n *= d;
            params += n;
        }
        // 84,046,115 parameters plus 2 x 128 batch-norm statistics.
        assertEquals(84_046_115L + 256, params);
    }

    @Test
    void diffusersNamesMapToOfficialOnes() {
        assertEquals("decoder.up.3.block.2.conv1.weight", VaeKeys.fromDiffusers("decoder.up_blocks.0.resnets.2.conv1.weight", 4));
        assertEquals("decoder.up.0.block.0.nin_shortcut.bias", VaeKeys.fromDiffusers("decoder.up_blocks.3.resnets.0.conv_shortcut.bias", 4));
        assertEquals("decoder.up.2.upsample.conv.weight", VaeKeys.fromDiffusers("decoder.up_blocks.1.upsamplers.0.conv.weight", 4));
        assertEquals("encoder.down.1.downsample.conv.bias", VaeKeys.fromDiffusers("encoder.down_blocks.1.downsamplers.0.conv.bias", 4));
        assertEquals("encoder.mid.block_2.norm1.weight", VaeKeys.fromDiffusers("encoder.mid_block.resnets.1.norm1.weight", 4));
        assertEquals("decoder.mid.attn_1.proj_out.weight", VaeKeys.fromDiffusers("decoder.mid_block.attentions.0.to_out.0.weight", 4));
        assertEquals("encoder.mid.attn_1.norm.bias", VaeKeys.fromDiffusers("encoder.mid_block.attentions.0.group_norm.bias", 4));
        assertEquals("encoder.mid.attn_1.k.weight", VaeKeys.fromDiffusers("encoder.mid_block.attentions.0.to_k.weight", 4));
        assertEquals("encoder.quant_conv.weight", VaeKeys.fromDiffusers("quant_conv.weight", 4));
        assertEquals("decoder.post_quant_conv.bias", VaeKeys.fromDiffusers("post_quant_conv.bias", 4));
        assertEquals("decoder.norm_out.weight", VaeKeys.fromDiffusers("decoder.conv_norm_out.weight", 4));
        assertEquals("encoder.down.0.block.1.conv2.weight", VaeKeys.fromDiffusers("encoder.down.0.block.1.conv2.weight", 4));
    }

    @Test
    void everyProblemIsListedInOneError() {
        try (TensorArena a = TensorArena.open("test")) {
            Map<String, Tensor> state = randomState();
            state.remove("encoder.conv_in.bias");
            state.put("encoder.conv_out.weight", Tensor.zeros(DType.F32, 8, 64, 1, 1));
            state.put("encoder.extra.weight", Tensor.zeros(DType.F32, 1));
            state.put("bn.running_var", Tensor.zeros(DType.I64, 16));
            state.put("quant_conv.bias", Tensor.zeros(DType.F32, 8));
            state.put(VaeKeys.BN_COUNTER, Tensor.zeros(DType.I64));
            var e = assertThrows(IllegalArgumentException.class, () -> VaeWeights.of(state, SMALL));
            String m = e.getMessage();
            assertTrue(m.contains("missing keys (1): encoder.conv_in.bias"), m);
            assertTrue(m.contains("unexpected keys (1): encoder.extra.weight"), m);
            assertTrue(m.contains("wrong shapes (1): encoder.conv_out.weight (expected [8, 64, 3, 3], got [8, 64, 1, 1])"), m);
            assertTrue(m.contains("bn.running_var (I64)"), m);
            assertTrue(m.contains("given twice (1): quant_conv.bias and encoder.quant_conv.bias"), m);
        }
    }

    @Test
    void squeezedAttentionWeightsAndBf16Load() {
        try (TensorArena a = TensorArena.open("test")) {
            Map<String, Tensor> state = new LinkedHashMap<>();
            randomState().forEach((k, v) -> {
                if (k.startsWith("encoder.mid.attn_1.q.weight")) state.put("encoder.mid_block.attentions.0.to_q.weight", v.reshape(64, 64).to(DType.BF16));
                else state.put(k, v.to(DType.BF16));
            });
            VaeWeights w = VaeWeights.of(state, SMALL);
            assertEquals(4, w.get("encoder.mid.attn_1.q.weight").rank());
            assertEquals(DType.F32, w.get("encoder.norm_out.bias").dtype());
            assertEquals(DType.BF16, w.get("encoder.conv_in.weight").dtype());
        }
    }

    private static Map<String, Tensor> randomState() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        Rng rng = new Rng(3);
        VaeKeys.official(SMALL).forEach((k, s) -> m.put(k, rng.normal(0, 0.1, s)));
        return m;
    }
}
