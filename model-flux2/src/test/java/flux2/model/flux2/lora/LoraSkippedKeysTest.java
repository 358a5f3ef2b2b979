package flux2.model.flux2.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files with keys this trainer cannot apply: the rest loads with one warning; DoRA is refused; F16 stays F16. */
class LoraSkippedKeysTest {
    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 2000, 3.0, true);

    @TempDir Path dir;

    /** One real adapter (double block 0 img qkv, official names) plus {@code extra}. */
    private Path file(String name, Map<String, Tensor> extra, Map<String, String> meta) throws Exception {
        Path f = dir.resolve(name);
        Rng rng = new Rng(3);
        try (TensorArena a = TensorArena.open("t")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("diffusion_model.double_blocks.0.img_attn.qkv.lora_A.weight", rng.normal(0, 1, 2, 16));
            t.put("diffusion_model.double_blocks.0.img_attn.qkv.lora_B.weight", rng.normal(0, 1, 48, 2));
            t.putAll(extra);
            SafetensorsWriter.write(f, t, meta);
        }
        return f;
    }

    @Test
    void keysThatCannotBeAppliedAreSkippedWithOneWarningNamingAndCountingThem() throws Exception {
        Path f;
        try (TensorArena a = TensorArena.open("t")) {
            f = file("mixed.safetensors", Map.of(
                    "text_encoders.qwen3.layers.0.self_attn.q_proj.lora_A.weight", Tensor.zeros(DType.F32, 2, 4),
                    "lora_te_layers_0_mlp.lora_down.weight", Tensor.zeros(DType.F32, 2, 4),
                    "transformer.pos_embed.lora_A.weight", Tensor.zeros(DType.F32, 2, 4),
                    "diffusion_model.double_blocks.0.img_attn.norm.query_norm.scale", Tensor.zeros(DType.F32, 8)), Map.of());
        }
        List<String> warnings = new ArrayList<>();
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = LoraReader.read(f, a);
            assertEquals(List.of("double_blocks.0.img_attn.qkv"), List.copyOf(w.adapters().keySet()));
            assertEquals(4, w.skipped().size());
            Lora l = LoraFiles.load(f, new Flux2Transformer(TINY, DType.F32, a), 0, 0, a, warnings::add);
            assertEquals(1, l.layers().size());
        }
        assertEquals(1, warnings.size(), warnings.toString());
        String m = warnings.get(0);
        for (String s : List.of("skipped 4 keys", "2 text-encoder adapter keys", "1 keys of modules the FLUX.2 transformer does not have",
                "transformer.pos_embed.lora_A.weight", "query_norm.scale", "loaded the 1 LoRA module", f.toString()))
            assertTrue(m.contains(s), s + " in: " + m);
    }

    @Test
    void aFileWithNothingToApplyIsStillRefused() throws Exception {
        Path f = dir.resolve("te.safetensors");
        try (TensorArena a = TensorArena.open("t")) {
            SafetensorsWriter.write(f, Map.of("lora_te_layers_0_mlp.lora_down.weight", Tensor.zeros(DType.F32, 2, 4),
                    "lora_te_layers_0_mlp.lora_up.weight", Tensor.zeros(DType.F32, 4, 2)));
        }
        try (TensorArena a = TensorArena.create("t")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LoraReader.read(f, a));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no LoRA tensors of FLUX.2 transformer modules")
                    && e.getMessage().contains("lora_te_layers_0_mlp.lora_down.weight"), e.getMessage());
        }
    }

    @Test
    void doraIsRefusedNamingWhy() throws Exception {
        Path byKey, byMeta;
        try (TensorArena a = TensorArena.open("t")) {
            byKey = file("dora.safetensors", Map.of("diffusion_model.double_blocks.0.img_attn.qkv.dora_scale", Tensor.zeros(DType.F32, 48, 1)), Map.of());
            byMeta = file("dora-meta.safetensors", Map.of(), Map.of("lora_adapter_metadata", "{\"transformer.r\": 2, \"transformer.lora_alpha\": 2, \"transformer.use_dora\": true}"));
        }
        try (TensorArena a = TensorArena.create("t")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LoraReader.read(byKey, a));
            assertTrue(e.getMessage().contains("DoRA") && e.getMessage().contains("qkv.dora_scale") && e.getMessage().contains(byKey.toString()), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> LoraReader.read(byMeta, a));
            assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
        }
    }

    @Test
    void f16InputIsWrittenAsF16() throws Exception {
        Path in = dir.resolve("f16.safetensors"), out = dir.resolve("out.safetensors");
        Rng rng = new Rng(4);
        try (TensorArena a = TensorArena.open("t")) {
            SafetensorsWriter.write(in, Map.of("diffusion_model.single_blocks.0.linear2.lora_A.weight", rng.normal(0, 1, 2, 64).to(DType.F16),
                    "diffusion_model.single_blocks.0.linear2.lora_B.weight", rng.normal(0, 1, 16, 2).to(DType.F16)));
        }
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = LoraReader.read(in, a);
            assertEquals(DType.F16, w.dtype());
            LoraWriter.write(out, w, LoraWriter.Options.of(LoraFormat.KOHYA, w.dtype()));
        }
        try (TensorSource src = Checkpoints.open(out)) {
            assertEquals(DType.F16, src.info("lora_unet_single_blocks_0_linear2.lora_up.weight").dtype());
        }
    }
}
