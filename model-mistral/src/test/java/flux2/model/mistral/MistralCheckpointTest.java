package flux2.model.mistral;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Loading sharded Mistral3 checkpoints: both key prefixes, skipped parts never read, clear errors. */
class MistralCheckpointTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"language_model.model.", "model.language_model."})
    void loadsOnlyNeededLayersOfEitherPrefix(String prefix) throws Exception {
        MistralConfig c = SyntheticMistral.tinyConfig();  // output layers 1 and 2 of 4
        Map<String, Tensor> all = SyntheticMistral.tensors(c, prefix, 7);
        // Parts that are skipped are not even shape-checked: give them shapes no Mistral config has.
        all.replaceAll((k, v) -> k.startsWith(prefix) && !k.contains("layers.2.") && !k.contains("layers.3.") ? v : Tensor.zeros(DType.BF16, 1, 3));
        Path index = SyntheticMistral.writeSharded(dir, all, k -> k.contains("embed_tokens") || k.contains("layers.0."));
        try (MistralModel m = MistralCheckpoint.load(index, c.withOutputLayers(1)); var a = TensorArena.open("t")) {
            assertEquals(1, m.loadedLayers());
            Tensor ids = Tensor.of(new float[]{11, 1, 5, 9}, 1, 4), mask = Tensor.of(new float[]{0, 1, 1, 1}, 1, 4);
            assertEquals(4, m.hiddenStates(ids, mask, 0, 1)[0].size(1));
            var e = assertThrows(IllegalArgumentException.class, () -> m.hiddenStates(ids, mask, 0, 2));
            assertTrue(e.getMessage().contains("hidden state 2 needs 2 layers"), e.getMessage());
        }
    }

    @Test
    void bothPrefixesGiveTheSameStates() throws Exception {
        MistralConfig c = SyntheticMistral.tinyConfig();
        Path d1 = Files.createDirectory(dir.resolve("legacy")), d2 = Files.createDirectory(dir.resolve("new"));
        Map<String, Tensor> legacy = SyntheticMistral.tensors(c, "language_model.model.", 3);
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        legacy.forEach((k, v) -> renamed.put(k.replace("language_model.model.", "model.language_model.")
                .replace("language_model.lm_head.", "lm_head.").replaceFirst("^(vision_tower|multi_modal_projector)", "model.$1"), v));
        Path i1 = SyntheticMistral.writeSharded(d1, legacy, k -> k.hashCode() % 2 == 0);
        Path i2 = SyntheticMistral.writeSharded(d2, renamed, k -> k.hashCode() % 2 == 0);
        try (MistralModel a = MistralCheckpoint.load(i1, c, 4, true); MistralModel b = MistralCheckpoint.load(d2, c, 4, true);
             var arena = TensorArena.open("t")) {
            Tensor ids = Tensor.of(new float[]{11, 11, 1, 5, 9, 30}, 1, 6), mask = Tensor.of(new float[]{0, 0, 1, 1, 1, 1}, 1, 6);
            float[] x = a.hiddenStates(ids, mask, 0, 4)[0].toFloatArray(), y = b.hiddenStates(ids, mask, 0, 4)[0].toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(x, y);
        }
        assertTrue(Files.exists(i2));
    }

    @Test
    void listsEveryProblemAtOnce() throws Exception {
        MistralConfig c = SyntheticMistral.tinyConfig();
        Map<String, Tensor> t = SyntheticMistral.tensors(c, "language_model.model.", 1);
        t.remove("language_model.model.layers.0.mlp.up_proj.weight");
        t.put("language_model.model.layers.1.self_attn.q_proj.weight", Tensor.zeros(DType.BF16, 3, 3));
        t.put("language_model.model.layers.0.self_attn.rotary.inv_freq", Tensor.zeros(DType.F32, 6));
        t.put("some.other.weight", Tensor.zeros(DType.F32, 2));
        Path f = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(f, t);
        var e = assertThrows(IllegalArgumentException.class, () -> MistralCheckpoint.load(f, c, 4, true));
        String m = e.getMessage();
        assertTrue(m.contains("missing keys (1): layers.0.mlp.up_proj.weight"), m);
        assertTrue(m.contains("wrong shapes (1): language_model.model.layers.1.self_attn.q_proj.weight (expected [48, 32], got [3, 3])"), m);
        assertTrue(m.contains("unexpected keys (2)") && m.contains("some.other.weight") && m.contains("rotary.inv_freq"), m);
    }
}
