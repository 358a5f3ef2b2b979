package flux2.model.flux2.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A LoRA file whose weights, alphas or PEFT numbers are not finite numbers is refused, naming the file and the key. */
class LoraNumbersTest {
    @TempDir Path dir;

    static final String A = "transformer.transformer_blocks.0.attn.to_q.lora_A.weight", B = "transformer.transformer_blocks.0.attn.to_q.lora_B.weight";
    static final String COMFY = "diffusion_model.double_blocks.0.img_attn.proj";

    /** A diffusers-layout adapter (rank 2, 16 wide) and a ComfyUI-layout one with an alpha tensor. */
    static Map<String, Tensor> tensors(double alpha) {
        Rng rng = new Rng(4);
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put(A, rng.normal(0, 0.5, 2, 16));
        t.put(B, rng.normal(0, 0.5, 16, 2));
        t.put(COMFY + ".lora_A.weight", rng.normal(0, 0.5, 2, 16));
        t.put(COMFY + ".lora_B.weight", rng.normal(0, 0.5, 16, 2));
        t.put(COMFY + ".alpha", Tensor.of(new float[]{(float) alpha}));
        return t;
    }

    Path write(String name, Map<String, Tensor> t, Map<String, String> metadata) throws Exception {
        Path f = dir.resolve(name);
        SafetensorsWriter.write(f, t, metadata);
        return f;
    }

    static String refusal(Path file) {
        try (TensorArena a = TensorArena.create("t")) {
            return assertThrows(IllegalArgumentException.class, () -> LoraReader.read(file, a)).getMessage();
        }
    }

    static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected «" + part + "» in:\n" + text);
    }

    @Test
    void finiteFileReadsWithItsAlphas() throws Exception {
        Path f = write("ok.safetensors", tensors(3), Map.of(PeftMetadata.KEY, "{\"transformer.lora_alpha\": 8, \"transformer.r\": 2}"));
        try (TensorArena a = TensorArena.create("t")) {
            LoraWeights w = LoraReader.read(f, a);
            assertEquals(8, w.adapters().get("double_blocks.0.img_attn.qkv").alpha());
            assertEquals(3, w.adapters().get("double_blocks.0.img_attn.proj").alpha());
        }
    }

    @Test
    void nanOrInfinityInAWeightIsRefusedNamingTheFileAndTensor() throws Exception {
        for (DType dt : new DType[]{DType.F32, DType.BF16})
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                Map<String, Tensor> t = tensors(2);
                Tensor b = t.get(B).to(dt);
                b.set(bad, 7, 1);
                t.put(B, b);
                Map<String, Tensor> t2 = tensors(2);
                t2.get(COMFY + ".lora_A.weight").set(bad, 0, 0);
                Path f = write("bad-" + dt + ".safetensors", t, Map.of());
                assertContains(refusal(f), f.toString());
                assertContains(refusal(f), B + ": holds 1 non-finite value (NaN or infinity; the first is " + (double) bad + " at element 15 of 32)");
                Path f2 = write("bad-a.safetensors", t2, Map.of());
                assertContains(refusal(f2), COMFY + ".lora_A.weight: holds 1 non-finite value");
            }
    }

    @Test
    void aNonFiniteAlphaTensorIsRefused() throws Exception {
        for (double bad : new double[]{Double.NaN, Double.POSITIVE_INFINITY}) {
            Path f = write("alpha.safetensors", tensors(bad), Map.of());
            assertContains(refusal(f), f + " is not a FLUX.2 LoRA file this trainer can read");
            assertContains(refusal(f), COMFY + ".alpha: alpha is " + bad + ", not a finite number");
        }
    }

    @Test
    void peftNumbersThatAreNotFiniteNumbersAreRefusedByKey() throws Exception {
        Map<String, String> cases = Map.of(
                "{\"transformer.lora_alpha\": \"sixteen\", \"transformer.r\": 2}", "key 'transformer.lora_alpha' is \"sixteen\", not a finite number",
                "{\"lora_alpha\": 1e400}", "key 'lora_alpha' is Infinity, not a finite number",
                "{\"transformer.lora_alpha\": 4, \"transformer.alpha_pattern\": {\"to_q\": \"x\"}}", "key 'transformer.alpha_pattern.to_q' is \"x\"",
                "{\"transformer.alpha_pattern\": [1]}", "key 'transformer.alpha_pattern' is [1], not an object",
                "{\"transformer.lora_dropout\": \"high\"}", "key 'transformer.lora_dropout' is \"high\", not a finite number",
                "{\"transformer.lora_alpha\": 4} {\"transformer.lora_alpha\": 8}", "metadata 'lora_adapter_metadata' is not JSON",
                "[4]", "metadata 'lora_adapter_metadata' is not a JSON object");
        int i = 0;
        for (var c : cases.entrySet()) {
            Path f = write("peft" + i++ + ".safetensors", tensors(2), Map.of(PeftMetadata.KEY, c.getKey()));
            String m = refusal(f);
            assertContains(m, f + ": metadata '" + PeftMetadata.KEY + "'");
            assertContains(m, c.getValue());
        }
    }
}
