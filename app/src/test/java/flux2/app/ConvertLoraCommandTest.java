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

        r = run("convert-lora", in.toString(), dir.resolve("out.safetensors").toString(), "--to", "lycoris");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown LoRA format 'lycoris'") && r.err().contains("kohya"), r.err());
    }

    /** An F16 diffusers file with alpha 4 at rank 2 (scale 2) and one text-encoder adapter. */
    private Path f16Input(Map<String, float[]> ab) throws Exception {
        Path in = dir.resolve("f16.safetensors");
        Rng rng = new Rng(8);
        try (TensorArena a = TensorArena.open("t")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("transformer.single_transformer_blocks.0.attn.to_out.lora_A.weight", rng.normal(0, 1, 2, 64).to(DType.F16));
            t.put("transformer.single_transformer_blocks.0.attn.to_out.lora_B.weight", rng.normal(0, 1, 16, 2).to(DType.F16));
            t.put("text_encoder.layers.0.q_proj.lora_A.weight", rng.normal(0, 1, 2, 8).to(DType.F16));
            t.forEach((k, v) -> ab.put(k, v.to(DType.F32).toFloatArray()));
            SafetensorsWriter.write(in, t, Map.of("format", "pt", "lora_adapter_metadata", "{\"transformer.r\": 2, \"transformer.lora_alpha\": 4}"));
        }
        return in;
    }

    @Test
    void kohyaLayoutKeepsF16AndWarnsOnceAboutSkippedKeys() throws Exception {
        Map<String, float[]> ab = new LinkedHashMap<>();
        Path in = f16Input(ab), out = dir.resolve("kohya.safetensors");
        CliRun r = run("convert-lora", in.toString(), out.toString(), "--to", "kohya");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("kohya layout") && r.out().contains("f16"), r.out());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("warning:")).count(), r.err());
        assertTrue(r.err().contains("skipped 1 key") && r.err().contains("text_encoder.layers.0.q_proj.lora_A.weight"), r.err());
        try (TensorSource src = Checkpoints.open(out)) {
            String k = "lora_unet_single_blocks_0_linear2";
            assertEquals(new java.util.TreeSet<>(java.util.List.of(k + ".lora_down.weight", k + ".lora_up.weight", k + ".alpha")), new java.util.TreeSet<>(src.names()));
            assertEquals(DType.F16, src.info(k + ".lora_up.weight").dtype());
            assertEquals(4f, src.tensor(k + ".alpha").item(), 0);
            assertArrayEquals(ab.get("transformer.single_transformer_blocks.0.attn.to_out.lora_B.weight"), src.tensor(k + ".lora_up.weight").to(DType.F32).toFloatArray());
        }
    }

    @Test
    void comfyuiWithoutAlphaBakesTheScale() throws Exception {
        Map<String, float[]> ab = new LinkedHashMap<>();
        Path in = f16Input(ab), out = dir.resolve("universal.safetensors");
        CliRun r = run("convert-lora", in.toString(), out.toString(), "--to", "comfyui", "--no-alpha", "--dtype", "f32");
        assertEquals(0, r.code(), r.err());
        try (TensorSource src = Checkpoints.open(out)) {
            String k = "diffusion_model.single_blocks.0.linear2";
            assertEquals(new java.util.TreeSet<>(java.util.List.of(k + ".lora_A.weight", k + ".lora_B.weight")), new java.util.TreeSet<>(src.names()));
            assertFalse(src.metadata().containsKey("lora_adapter_metadata"));
            float[] b = ab.get("transformer.single_transformer_blocks.0.attn.to_out.lora_B.weight"), got = src.tensor(k + ".lora_B.weight").toFloatArray();
            for (int i = 0; i < b.length; i++) assertEquals(2 * b[i], got[i], 0, "B scaled by alpha / rank = 2");
        }
        r = run("convert-lora", in.toString(), dir.resolve("x.safetensors").toString(), "--to", "diffusers", "--no-alpha");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--no-alpha is for --to comfyui or kohya"), r.err());
        r = run("convert-lora", in.toString(), dir.resolve("x.safetensors").toString(), "--to", "comfyui", "--dtype", "f8");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--dtype must be f32, bf16 or f16, got 'f8'"), r.err());
    }
}
