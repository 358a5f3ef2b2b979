package flux2.model.flux2.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.TokenIds;
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

/** LoRA files: exact round trips through every layout, q/k/v merging, metadata, and errors. */
class LoraFilesTest {
    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 2000, 3.0, true);
    private static final List<String> TARGETS = List.of("img_attn.qkv", "img_attn.proj", "txt_attn.qkv", "txt_attn.proj", "img_mlp.0",
            "img_mlp.2", "txt_mlp.0", "txt_mlp.2", "linear1", "linear2", "img_in", "time_in.in_layer",
            "double_stream_modulation_img.lin", "final_layer.adaLN_modulation.1");

    @TempDir Path dir;

    /** The same random base model every time. */
    private static Flux2Transformer model(TensorArena a) {
        Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, a);
        Rng rng = new Rng(11);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.value(), 0, 0.3));
        return m;
    }

    /** A trained-looking LoRA: non-zero B, alpha != rank. */
    private static Lora trained(Flux2Transformer m, TensorArena a) {
        Lora lora = Lora.attach(m, TARGETS, new Lora.Config(2, 3, 0, 5), new Rng(2), a);
        Rng rng = new Rng(13);
        lora.namedParameters().values().forEach(p -> rng.fillNormal(p.value(), 0, 0.4));
        return lora;
    }

    private static float[] run(Flux2Transformer m) {
        Rng rng = new Rng(3);
        Tensor x = rng.normal(0, 1, 1, 6, 8), ctx = rng.normal(0, 1, 1, 3, 12);
        return m.forward(Var.constant(x), TokenIds.image(1, 2, 3), Var.constant(ctx), TokenIds.text(1, 3),
                Tensor.of(new float[]{0.4f}, 1), Tensor.of(new float[]{3f}, 1)).data().toFloatArray();
    }

    private float[] loadAndRun(Path file) throws Exception {
        try (TensorArena a = TensorArena.create("load")) {
            Flux2Transformer m = model(a);
            LoraFiles.load(file, m, 0, 0, a);
            return run(m);
        }
    }

    private static void assertClose(float[] want, float[] got, double tol) { assertClose(want, got, tol, true); }

    /** Relative L2 distance at most {@code tol} (or, with {@code close} false, above it). */
    private static void assertClose(float[] want, float[] got, double tol, boolean close) {
        assertEquals(want.length, got.length);
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (want[i] - got[i]) * (double) (want[i] - got[i]);
            den += want[i] * (double) want[i];
        }
        assertEquals(close, Math.sqrt(num / den) <= tol, "relative L2 distance " + Math.sqrt(num / den));
    }

    /** Bitwise the same A, B and alpha for every module (outputs may differ in the last bit between JIT tiers). */
    private static void assertSameWeights(Lora lora, LoraWeights w) {
        assertEquals(lora.layers().keySet(), w.adapters().keySet());
        lora.layers().forEach((name, l) -> {
            LoraWeights.Adapter ad = w.adapters().get(name);
            assertEquals(l.alpha, ad.alpha(), 0, name);
            assertArrayEquals(l.a.weight.value().toFloatArray(), ad.a().toFloatArray(), name);
            assertArrayEquals(l.b.weight.value().toFloatArray(), ad.b().toFloatArray(), name);
        });
    }

    @Test
    void diffusersRoundTripIsExact() throws Exception {
        Path file = dir.resolve(LoraFiles.FILE_NAME);
        float[] want, base;
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            base = run(m);
            Lora lora = trained(m, a);
            want = run(m);
            LoraFiles.save(file, lora, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32)
                    .withMetadata(LoraWriter.modelSpec("flux2-dev", "test run", "64x64", null, 7L)));
            try (TensorSource src = Checkpoints.open(file)) {
                // fused qkv written as q/k/v sharing A, B split in row blocks
                Tensor qkvA = lora.layers().get("double_blocks.1.img_attn.qkv").a.weight.value();
                Tensor qkvB = lora.layers().get("double_blocks.1.img_attn.qkv").b.weight.value();
                assertArrayEquals(qkvA.toFloatArray(), src.tensor("transformer.transformer_blocks.1.attn.to_k.lora_A.weight").toFloatArray());
                assertArrayEquals(qkvB.narrow(0, 16, 16).contiguous().toFloatArray(),
                        src.tensor("transformer.transformer_blocks.1.attn.to_k.lora_B.weight").toFloatArray());
                assertTrue(src.contains("transformer.transformer_blocks.0.attn.add_v_proj.lora_B.weight"));
                assertTrue(src.contains("transformer.single_transformer_blocks.1.attn.to_qkv_mlp_proj.lora_A.weight"));
                assertTrue(src.contains("transformer.single_transformer_blocks.1.attn.to_out.lora_B.weight"));
                assertTrue(src.contains("transformer.transformer_blocks.0.attn.to_out.0.lora_A.weight"));
                assertTrue(src.contains("transformer.norm_out.linear.lora_B.weight"));
                // diffusers keeps [scale | shift]: B's row halves are swapped
                Tensor modB = lora.layers().get("final_layer.adaLN_modulation.1").b.weight.value();
                assertArrayEquals(modB.narrow(0, 0, 16).contiguous().toFloatArray(),
                        src.tensor("transformer.norm_out.linear.lora_B.weight").narrow(0, 16, 16).contiguous().toFloatArray());
                assertTrue(src.names().stream().allMatch(n -> n.startsWith("transformer.") && !n.endsWith(".alpha")), src.names().toString());
                Map<String, String> meta = src.metadata();
                assertEquals("pt", meta.get("format"));
                assertEquals("flux2-dev/lora", meta.get("modelspec.architecture"));
                assertEquals("7", meta.get("global_step"));
                JsonNode cfg = new ObjectMapper().readTree(meta.get("lora_adapter_metadata"));
                assertEquals(2, cfg.get("transformer.r").asInt());
                assertEquals(3.0, cfg.get("transformer.lora_alpha").asDouble());
                assertEquals("LORA", cfg.get("transformer.peft_type").asText());
                assertFalse(cfg.get("transformer.use_dora").asBoolean());
                assertTrue(cfg.get("transformer.init_lora_weights").asBoolean());
                List<String> targets = new ArrayList<>();
                cfg.get("transformer.target_modules").forEach(t -> targets.add(t.asText()));
                assertTrue(targets.contains("transformer_blocks.0.attn.to_q") && targets.contains("single_transformer_blocks.0.attn.to_out"), targets.toString());
                assertEquals(targets.stream().sorted().toList(), targets);
            }
            assertSameWeights(lora, LoraReader.read(file, a));
        }
        assertClose(base, want, 1e-2, false);
        assertClose(want, loadAndRun(file), 1e-6);
    }

    @Test
    void comfyuiRoundTripIsExactAndBf16IsClose() throws Exception {
        Path file = dir.resolve("comfy.safetensors"), bf16 = dir.resolve("bf16.safetensors");
        float[] want;
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            Lora lora = trained(m, a);
            want = run(m);
            LoraFiles.save(file, lora, LoraWriter.Options.of(LoraFormat.COMFYUI, DType.F32));
            LoraFiles.save(bf16, lora, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.BF16));
            assertSameWeights(lora, LoraReader.read(file, a));
        }
        try (TensorSource src = Checkpoints.open(file)) {
            assertEquals(3f, src.tensor("diffusion_model.double_blocks.0.img_attn.qkv.alpha").item(), 0);
            assertArrayEquals(new long[]{48, 2}, src.info("diffusion_model.double_blocks.0.img_attn.qkv.lora_B.weight").shape());
            assertTrue(src.contains("diffusion_model.single_blocks.1.linear1.lora_A.weight"));
        }
        try (TensorSource src = Checkpoints.open(bf16)) {
            assertEquals(DType.BF16, src.info("transformer.transformer_blocks.0.attn.to_q.lora_A.weight").dtype());
        }
        assertClose(want, loadAndRun(file), 1e-6);
        assertClose(want, loadAndRun(bf16), 1e-2);
    }

    @Test
    void kohyaFileLoadsWithTheSameOutputs() throws Exception {
        Path file = dir.resolve("kohya.safetensors");
        float[] want;
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            Lora lora = trained(m, a);
            want = run(m);
            Map<String, Tensor> t = new LinkedHashMap<>();
            lora.layers().forEach((name, l) -> {
                String k = "lora_unet_" + name.replace('.', '_');
                t.put(k + ".lora_down.weight", l.a.weight.value());
                t.put(k + ".lora_up.weight", l.b.weight.value());
                t.put(k + ".alpha", Tensor.scalar(3f));
            });
            SafetensorsWriter.write(file, t);
            assertSameWeights(lora, LoraReader.read(file, a));
        }
        assertClose(want, loadAndRun(file), 1e-6);
    }

    @Test
    void withoutMetadataAlphaIsTheRank() throws Exception {
        Path saved = dir.resolve("saved.safetensors"), bare = dir.resolve("bare.safetensors");
        float[] want;
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            Lora lora = trained(m, a);
            LoraFiles.save(saved, lora, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32).withBakeScale(true));
            want = run(m);
            try (TensorSource src = Checkpoints.open(saved)) {
                Map<String, Tensor> t = new LinkedHashMap<>();
                for (String n : src.names()) t.put(n, src.tensor(n));
                SafetensorsWriter.write(bare, t);
            }
        }
        assertClose(want, loadAndRun(bare), 1e-6);
    }

    /** Diffusers-style separate q/k/v adapters with their own A, ranks and alphas (one part missing). */
    @Test
    void separateQkvAdaptersMergeExactly() throws Exception {
        Path file = dir.resolve("qkv.safetensors"), resaved = dir.resolve("resaved.safetensors");
        Rng rng = new Rng(21);
        int[] ranks = {2, 3, 1};
        double[] alphas = {5, 1.5, 4};
        String[] img = {"to_q", "to_k", "to_v"}, txt = {"add_q_proj", "add_k_proj", "add_v_proj"};
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer ref = model(a);
            for (int blk = 0; blk < 2; blk++) {
                String pre = "transformer_blocks." + blk + ".attn.";
                List<Tensor[]> imgParts = new ArrayList<>(), txtParts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Tensor[] p = {rng.normal(0, 0.5, ranks[i], 16), rng.normal(0, 0.5, 16, ranks[i])};
                    imgParts.add(p);
                    t.put("transformer." + pre + img[i] + ".lora_A.weight", p[0]);
                    t.put("transformer." + pre + img[i] + ".lora_B.weight", p[1]);
                    // the text stream adapts only q and v
                    Tensor[] q = i == 1 ? null : new Tensor[]{rng.normal(0, 0.5, 2, 16), rng.normal(0, 0.5, 16, 2)};
                    txtParts.add(q);
                    if (q != null) {
                        t.put("transformer." + pre + txt[i] + ".lora_A.weight", q[0]);
                        t.put("transformer." + pre + txt[i] + ".lora_B.weight", q[1]);
                    }
                }
                double[] txtScales = {alphas[0] / 2, 0, 2.0 / 2};
                Linear imgQkv = (Linear) LoraTargets.linears(ref).get("double_blocks." + blk + ".img_attn.qkv");
                Linear txtQkv = (Linear) LoraTargets.linears(ref).get("double_blocks." + blk + ".txt_attn.qkv");
                double[] imgScales = {alphas[0] / ranks[0], alphas[1] / ranks[1], alphas[2] / ranks[2]};
                imgQkv.setAdapter(x -> separately(x, imgParts, imgScales));
                txtQkv.setAdapter(x -> separately(x, txtParts, txtScales));
            }
            // alphas by PEFT pattern for q and k, lora_alpha for the rest; the text v adapter (rank 2) gets lora_alpha 2
            String meta = "{\"transformer.r\": 2, \"transformer.lora_alpha\": 2, \"transformer.alpha_pattern\": "
                    + "{\"attn.to_q\": 5, \"add_q_proj\": 5, \"to_k\": 1.5, \"transformer_blocks.0.attn.to_v\": 4, \"transformer_blocks.1.attn.to_v\": 4}}";
            SafetensorsWriter.write(file, t, Map.of("format", "pt", "lora_adapter_metadata", meta));
            float[] want = run(ref);

            LoraWeights w = LoraReader.read(file, a);
            assertEquals(6, w.adapters().get("double_blocks.0.img_attn.qkv").rank());
            assertEquals(4, w.adapters().get("double_blocks.1.txt_attn.qkv").rank());
            float[] got = loadAndRun(file);
            assertClose(want, got, 1e-6);

            // re-saved in diffusers layout, then read again: the same outputs
            Flux2Transformer m = model(a);
            LoraFiles.save(resaved, LoraFiles.attach(m, w, 0, 0, a), LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
            assertClose(want, loadAndRun(resaved), 1e-6);
        }
        // the text qkv adapter (equal part scales, block-diagonal) splits back into rank-2 q/v parts, k all zero
        try (TensorSource src = Checkpoints.open(resaved)) {
            assertArrayEquals(new long[]{16, 2}, src.info("transformer.transformer_blocks.0.attn.add_q_proj.lora_B.weight").shape());
            assertArrayEquals(new long[]{3, 16}, src.info("transformer.transformer_blocks.1.attn.to_k.lora_A.weight").shape());
            assertFalse(src.contains("transformer.transformer_blocks.0.attn.add_k_proj.lora_A.weight"));
        }
    }

    /** The reference: each part's own (alpha/r) B A x in its row block of the fused output, zero where absent. */
    private static Var separately(Var x, List<Tensor[]> parts, double[] scales) {
        Var[] outs = new Var[parts.size()];
        for (int i = 0; i < parts.size(); i++) {
            Tensor[] p = parts.get(i);
            outs[i] = p == null ? x.matmul(Var.constant(Tensor.zeros(DType.F32, 16, 16))) // zero rows of the right shape
                    : x.matmul(Var.constant(p[0]).t()).matmul(Var.constant(p[1]).t()).mul(scales[i]);
        }
        return F.concat(-1, outs);
    }

    @Test
    void warmStartCopiesIntoAnExistingLora() throws Exception {
        Path file = dir.resolve("warm.safetensors");
        float[] want;
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            Lora lora = trained(m, a);
            want = run(m);
            LoraFiles.save(file, lora, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
        }
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = model(a);
            Lora fresh = Lora.attach(m, TARGETS, new Lora.Config(2, 2, 0, 5), new Rng(9), a);
            LoraFiles.apply(fresh, LoraReader.read(file, a));
            assertClose(want, run(m), 1e-6);
            Lora other = Lora.attach(model(a), List.of("img_attn.qkv"), new Lora.Config(2, 2, 0, 5), new Rng(9), a);
            var e = assertThrows(IllegalArgumentException.class, () -> LoraFiles.apply(other, LoraReader.read(file, a)));
            assertTrue(e.getMessage().contains("unexpected keys (") && e.getMessage().contains("single_blocks.0.linear1"), e.getMessage());
            Lora wider = Lora.attach(model(a), TARGETS, new Lora.Config(4, 4, 0, 5), new Rng(9), a);
            e = assertThrows(IllegalArgumentException.class, () -> LoraFiles.apply(wider, LoraReader.read(file, a)));
            assertTrue(e.getMessage().contains("wrong shapes (") && e.getMessage().contains("(expected [4, "), e.getMessage());
        }
    }

    @Test
    void unknownAndIncompleteKeysAreListedInOneError() throws Exception {
        Path file = dir.resolve("bad.safetensors");
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("transformer.transformer_blocks.0.attn.to_q.lora_A.weight", Tensor.zeros(DType.F32, 2, 16));
        t.put("transformer.transformer_blocks.0.attn.to_q.lora_B.weight", Tensor.zeros(DType.F32, 16, 2));
        t.put("transformer.transformer_blocks.0.attn.to_k.lora_A.weight", Tensor.zeros(DType.F32, 2, 16));
        t.put("transformer.pos_embed.lora_A.weight", Tensor.zeros(DType.F32, 2, 16));
        t.put("text_encoder.layers.0.lora_A.weight", Tensor.zeros(DType.F32, 2, 16));
        t.put("lora_unet_double_blocks_0_img_attn_nothing.lora_down.weight", Tensor.zeros(DType.F32, 2, 16));
        SafetensorsWriter.write(file, t);
        try (TensorArena a = TensorArena.create("t")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LoraReader.read(file, a));
            for (String k : List.of("transformer.pos_embed.lora_A.weight", "text_encoder.layers.0.lora_A.weight",
                    "lora_unet_double_blocks_0_img_attn_nothing.lora_down.weight", "to_k.lora_A.weight: no matching lora_B"))
                assertTrue(e.getMessage().contains(k), e.getMessage());
        }
    }

    @Test
    void adaptersForModulesTheModelLacksAreAnError() throws Exception {
        Path file = dir.resolve("deep.safetensors");
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("diffusion_model.double_blocks.5.img_attn.proj.lora_A.weight", Tensor.zeros(DType.F32, 2, 16));
        t.put("diffusion_model.double_blocks.5.img_attn.proj.lora_B.weight", Tensor.zeros(DType.F32, 16, 2));
        SafetensorsWriter.write(file, t);
        try (TensorArena a = TensorArena.create("t")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LoraFiles.load(file, model(a), 0, 0, a));
            assertTrue(e.getMessage().contains("double_blocks.5.img_attn.proj"), e.getMessage());
        }
    }
}
