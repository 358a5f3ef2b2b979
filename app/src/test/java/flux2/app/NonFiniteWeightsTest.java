package flux2.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraFormat;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.flux2.lora.LoraWriter;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import flux2.trainer.config.ModelLocation;
import flux2.examples.TinyModel;
import flux2.trainer.models.ModelParts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NaN or infinity in a LoRA file, in model weights or in an alpha is refused when the file is loaded, naming the
 * file and the tensor or key: `sample` writes no image (where it used to write a black one and exit 0), and
 * `convert-lora` writes no file.
 */
class NonFiniteWeightsTest {
    @TempDir Path dir;

    static final String LORA_B = "transformer.transformer_blocks.0.attn.to_q.lora_B.weight";

    /** A working diffusers LoRA for the tiny model (rank 2, non-zero B). */
    Path lora(String name) throws Exception {
        Path f = dir.resolve(name);
        try (TensorArena a = TensorArena.open("t")) {
            Flux2Transformer m = new Flux2Transformer(TinyModel.transformerConfig(), DType.F32, a);
            Lora l = Lora.attach(m, LoraTargets.preset("all"), new Lora.Config(2, 2, 0, 1), new Rng(1), a);
            for (var layer : l.layers().values()) new Rng(2).fillNormal(layer.b.weight.value(), 0, 0.5);
            LoraFiles.save(f, l, LoraWriter.Options.of(LoraFormat.DIFFUSERS, DType.F32));
        }
        return f;
    }

    /** Rewrites {@code file} with element {@code index} of tensor {@code name} set to {@code value} (metadata kept or replaced). */
    static void poison(Path file, String name, long index, float value, Map<String, String> metadata) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        try (TensorArena a = TensorArena.open("poison"); TensorSource src = Checkpoints.open(file)) {
            assertTrue(src.contains(name), name + " in " + src.names());
            Map<String, Tensor> t = new LinkedHashMap<>();
            for (String n : src.names()) t.put(n, src.tensor(n).copyTo(a));
            Tensor bad = t.get(name);
            int[] idx = new int[bad.rank()];
            long rest = index;
            for (int d = bad.rank() - 1; d >= 0; d--) {
                idx[d] = (int) (rest % bad.size(d));
                rest /= bad.size(d);
            }
            bad.set(value, idx);
            SafetensorsWriter.write(tmp, t, metadata != null ? metadata : src.metadata());
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    static Path copyModel(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        return to;
    }

    CliRun sample(Path model, Path png, String... extra) {
        List<String> args = new ArrayList<>(List.of("sample", "--model", model.toString(), "--prompt", "a red square",
                "--width", "32", "--height", "32", "--steps", "2", "-o", png.toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    void assertRefused(CliRun r, Path png, String... parts) {
        assertEquals(1, r.code(), r.out() + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "expected «" + p + "» in:\n" + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(Files.exists(png), "no image written");
    }

    @Test
    void sampleRefusesLoraFilesWithNonFiniteWeightsOrAlphas() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        Path good = lora("good.safetensors");
        assertEquals(0, sample(model, dir.resolve("good.png"), "--lora", good.toString()).code(), "the clean file samples");
        int i = 0;
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Path f = lora("bad" + i + ".safetensors");
            poison(f, LORA_B, 5, bad, null);
            Path png = dir.resolve("bad" + i++ + ".png");
            assertRefused(sample(model, png, "--lora", f.toString()), png, f.toString(), LORA_B + ": holds 1 non-finite value");
        }
        // an alpha tensor of the ComfyUI layout, and PEFT's lora_alpha in the diffusers metadata
        Path comfy = dir.resolve("comfy.safetensors");
        assertEquals(0, CliRun.of("convert-lora", good.toString(), comfy.toString(), "--to", "comfyui").code());
        String alphaKey;
        try (TensorSource src = Checkpoints.open(comfy)) {
            alphaKey = src.names().stream().filter(n -> n.endsWith(".alpha")).findFirst().orElseThrow();
        }
        poison(comfy, alphaKey, 0, Float.NaN, null);
        assertRefused(sample(model, dir.resolve("alpha.png"), "--lora", comfy.toString()), dir.resolve("alpha.png"),
                comfy.toString(), alphaKey + ": alpha is NaN, not a finite number");
        Path peft = lora("peft.safetensors");
        poison(peft, LORA_B, 0, 0.5f, Map.of("lora_adapter_metadata", "{\"transformer.r\": 2, \"transformer.lora_alpha\": \"sixteen\"}"));
        assertRefused(sample(model, dir.resolve("peft.png"), "--lora", peft.toString()), dir.resolve("peft.png"),
                peft + ": metadata 'lora_adapter_metadata' key 'transformer.lora_alpha' is \"sixteen\", not a finite number");
    }

    @Test
    void sampleRefusesNonFiniteModelWeightsNamingFileAndTensor() throws Exception {
        Path clean = TinyModel.write(dir.resolve("clean"), 3);
        record Case(String part, String file, String tensor, float value) {}
        List<Case> cases = List.of(
                new Case("transformer", "diffusion_pytorch_model.safetensors", "context_embedder.weight", Float.NaN),
                // a diffusers q/k/v part, assembled into the fused weight at load
                new Case("transformer", "diffusion_pytorch_model.safetensors", "transformer_blocks.0.attn.to_k.weight", Float.POSITIVE_INFINITY),
                new Case("vae", "diffusion_pytorch_model.safetensors", "decoder.conv_in.weight", Float.NaN),
                new Case("text_encoder", "model.safetensors", "language_model.model.layers.0.mlp.up_proj.weight", Float.NEGATIVE_INFINITY),
                new Case("text_encoder", "model.safetensors", "language_model.model.embed_tokens.weight", Float.NaN));
        int i = 0;
        for (Case c : cases) {
            Path model = copyModel(clean, dir.resolve("m" + i));
            Path file = model.resolve(c.part()).resolve(c.file());
            poison(file, c.tensor(), 3, c.value(), null);
            Path png = dir.resolve("m" + i++ + ".png");
            assertRefused(sample(model, png), png, file.toString(), c.tensor(), "holds 1 non-finite value");
        }
    }

    @Test
    void quantizedAndCopiedWeightsAreCheckedOnConversion() throws Exception {
        Path model = TinyModel.write(dir.resolve("model"), 3);
        Path tr = model.resolve("transformer/diffusion_pytorch_model.safetensors"), te = model.resolve("text_encoder/model.safetensors");
        poison(tr, "single_transformer_blocks.0.attn.to_out.weight", 7, Float.NaN, null);
        poison(te, "language_model.model.layers.1.self_attn.o_proj.weight", 7, Float.POSITIVE_INFINITY, null);
        ModelLocation loc = new ModelLocation(model.toString(), model.resolve("transformer"), model.resolve("vae"), model.resolve("text_encoder"), model.resolve("tokenizer"));
        for (String precision : List.of("no_change", "int8")) {
            var e = assertThrows(IllegalArgumentException.class, () -> ModelParts.transformer(loc, false, precision).close(), precision);
            assertTrue(e.getMessage().startsWith(tr.toString()), e.getMessage());
            assertTrue(e.getMessage().contains(precision.equals("no_change") ? "single_transformer_blocks.0.attn.to_out.weight" : "single_blocks.0.linear2.weight"),
                    e.getMessage());
            var t = assertThrows(IllegalArgumentException.class, () -> ModelParts.textEncoder(loc, precision).close(), precision);
            assertTrue(t.getMessage().startsWith(model.resolve("text_encoder").toString()), t.getMessage());
            assertTrue(t.getMessage().contains("layers.1.self_attn.o_proj.weight"), t.getMessage());
        }
        // full training copies the weights into F32 parameters: checked after the copy
        var full = assertThrows(IllegalArgumentException.class, () -> ModelParts.transformer(loc, true, "no_change").close());
        assertTrue(full.getMessage().contains("single_transformer_blocks.0.attn.to_out.weight"), full.getMessage());
    }

    @Test
    void convertLoraRefusesNonFiniteAdaptersAndWritesNothing() throws Exception {
        Path in = lora("in.safetensors"), out = dir.resolve("out.safetensors");
        poison(in, LORA_B, 9, Float.NaN, null);
        CliRun r = CliRun.of("convert-lora", in.toString(), out.toString(), "--to", "comfyui");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(in + " is not a FLUX.2 LoRA file this trainer can read"), r.err());
        assertTrue(r.err().contains(LORA_B + ": holds 1 non-finite value (NaN or infinity; the first is NaN at element 9"), r.err());
        assertFalse(Files.exists(out));
    }
}
