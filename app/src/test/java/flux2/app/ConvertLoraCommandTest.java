package flux2.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert-lora through the real command line: diffusers q/k/v -> ComfyUI fused -> diffusers, and bad input. */
class ConvertLoraCommandTest {
    @TempDir Path dir;

    private static CliRun run(String... args) { return CliRun.of(args); }

    @Test
    void diffusersToComfyuiAndBackKeepsEveryAdapter() throws Exception {
        Path in = dir.resolve("in.safetensors"), comfy = dir.resolve("comfy.safetensors"), back = dir.resolve("back.safetensors");
        Map<String, Tensor> t = new LinkedHashMap<>();
        Map<String, float[]> want = new LinkedHashMap<>();
        Rng rng = new Rng(4);
        int[] ranks = {2, 1, 2};
        String[] qkv = {"to_q", "to_k", "to_v"};
        try (TensorArena a = TensorArena.open("t")) {
            for (int i = 0; i < 3; i++) {
                String p = "transformer.transformer_blocks.0.attn." + qkv[i];
                t.put(p + ".lora_A.weight", rng.normal(0, 1, ranks[i], 32).to(DType.BF16));
                t.put(p + ".lora_B.weight", rng.normal(0, 1, 32, ranks[i]).to(DType.BF16));
            }
            t.put("transformer.single_transformer_blocks.3.attn.to_qkv_mlp_proj.lora_A.weight", rng.normal(0, 1, 2, 32).to(DType.BF16));
            t.put("transformer.single_transformer_blocks.3.attn.to_qkv_mlp_proj.lora_B.weight", rng.normal(0, 1, 288, 2).to(DType.BF16));
            // every q/k/v part has scale alpha / r = 2
            String meta = "{\"transformer.r\": 2, \"transformer.lora_alpha\": 4, \"transformer.alpha_pattern\": {\"to_k\": 2}}";
            SafetensorsWriter.write(in, t, Map.of("format", "pt", "lora_adapter_metadata", meta));
            t.forEach((k, v) -> want.put(k, v.to(DType.F32).toFloatArray()));
        }

        CliRun r = run("convert-lora", in.toString(), comfy.toString(), "--to", "comfyui");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 adapters") && r.out().contains("bf16"), r.out());
        try (TensorSource src = Checkpoints.open(comfy)) {
            // q/k/v with their own A: one fused adapter of rank 2 + 1 + 2, scale kept
            assertArrayEquals(new long[]{5, 32}, src.info("diffusion_model.double_blocks.0.img_attn.qkv.lora_A.weight").shape());
            assertArrayEquals(new long[]{96, 5}, src.info("diffusion_model.double_blocks.0.img_attn.qkv.lora_B.weight").shape());
            assertEquals(10f, src.tensor("diffusion_model.double_blocks.0.img_attn.qkv.alpha").item(), 0);
            assertEquals(4f, src.tensor("diffusion_model.single_blocks.3.linear1.alpha").item(), 0);
            assertEquals(DType.BF16, src.info("diffusion_model.single_blocks.3.linear1.lora_B.weight").dtype());
        }

        r = run("convert-lora", comfy.toString(), back.toString(), "--to", "diffusers", "--dtype", "f32");
        assertEquals(0, r.code(), r.err());
        try (TensorSource src = Checkpoints.open(back)) {
            assertEquals(new java.util.TreeSet<>(want.keySet()), new java.util.TreeSet<>(src.names()));
            for (var e : want.entrySet()) {
                assertEquals(DType.F32, src.info(e.getKey()).dtype());
                assertArrayEquals(e.getValue(), src.tensor(e.getKey()).toFloatArray(), e.getKey());
            }
            String peft = src.metadata().get("lora_adapter_metadata");
            assertTrue(peft.contains("\"transformer.lora_alpha\": 4") && peft.contains("\"transformer_blocks.0.attn.to_k\": 2"), peft);
        }
    }

    @Test
    void badInputGivesOneClearError() throws Exception {
        Path in = dir.resolve("bad.safetensors");
        try (TensorArena a = TensorArena.open("t")) {
            SafetensorsWriter.write(in, Map.of("transformer.pos_embed.lora_A.weight", Tensor.zeros(DType.F32, 2, 4),
                    "vae.decoder.lora_up.weight", Tensor.zeros(DType.F32, 4, 2)));
        }
        CliRun r = run("convert-lora", in.toString(), dir.resolve("out.safetensors").toString(), "--to", "diffusers");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown keys (2)") && r.err().contains("vae.decoder.lora_up.weight"), r.err());
        assertFalse(dir.resolve("out.safetensors").toFile().exists());

        r = run("convert-lora", in.toString(), dir.resolve("out.safetensors").toString(), "--to", "kohya");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown LoRA format 'kohya'"), r.err());
    }
}
