package flux2.model.mistral;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Random BF16 Mistral3 checkpoints in the Hugging Face layout, written to a folder for loading tests. */
final class SyntheticMistral {
    private SyntheticMistral() {}

    static MistralConfig tinyConfig() {
        return new MistralConfig(64, 32, 4, 4, 2, 12, 48, 1e-5, 1e9, new int[]{1, 2}, 11);
    }

    /** Every tensor of a Mistral3 checkpoint (text under {@code prefix}, plus vision, projector and lm_head). */
    static Map<String, Tensor> tensors(MistralConfig c, String prefix, long seed) {
        Rng rng = new Rng(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        MistralKeys.expected(c, c.numLayers(), true).forEach((name, shape) -> {
            Tensor t = name.endsWith("norm.weight") ? rng.uniform(0.5, 1.5, shape) : rng.normal(0, 0.2, shape);
            out.put(prefix + name, t.to(DType.BF16));
        });
        String top = prefix.startsWith("model.") ? "model." : "";
        out.put(top + "vision_tower.patch_conv.weight", rng.normal(0, 1, 8, 3, 2, 2).to(DType.BF16));
        out.put(top + "multi_modal_projector.linear_1.weight", rng.normal(0, 1, c.hiddenSize(), 8).to(DType.BF16));
        out.put(prefix.startsWith("model.") ? "lm_head.weight" : "language_model.lm_head.weight",
                rng.normal(0, 1, c.vocabSize(), c.hiddenSize()).to(DType.BF16));
        return out;
    }

    /**
     * Writes the tensors as two shards and an index: those accepted by {@code first} in shard 1, the rest in
     * shard 2. Returns the index path.
     */
    static Path writeSharded(Path dir, Map<String, Tensor> tensors, Predicate<String> first) throws IOException {
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        Map<String, String> map = new TreeMap<>();
        tensors.forEach((k, v) -> {
            boolean one = first.test(k);
            (one ? a : b).put(k, v);
            map.put(k, one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        });
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), a);
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), b);
        StringBuilder json = new StringBuilder("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
        int i = 0;
        for (var e : map.entrySet()) json.append(i++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": \"").append(e.getValue()).append('"');
        json.append("}}");
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, json);
        return index;
    }
}
