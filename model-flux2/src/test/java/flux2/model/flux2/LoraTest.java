package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.model.flux2.lora.Lora;
import flux2.model.flux2.lora.LoraTargets;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Target selection, PEFT initialisation, and identical gradients with and without checkpointing. */
class LoraTest {
    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 2000, 3.0, true);

    @Test
    void presetsAndDiffusersNamesSelectTheFusedModules() {
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, a);
            assertEquals(List.of("double_blocks.0.img_attn.qkv", "double_blocks.1.img_attn.qkv"), LoraTargets.resolve(m, LoraTargets.preset("tiny")));
            assertEquals(2 * 8 + 2 * 2, LoraTargets.resolve(m, LoraTargets.preset("all")).size());
            assertEquals(LoraTargets.resolve(m, List.of("img_attn.qkv", "img_attn.proj", "linear1")),
                    LoraTargets.resolve(m, List.of("attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "attn.to_qkv_mlp_proj")));
            assertEquals(List.of("single_blocks.1.linear2"), LoraTargets.resolve(m, List.of("single_transformer_blocks.1.attn.to_out")));
            var e = assertThrows(IllegalArgumentException.class, () -> LoraTargets.resolve(m, List.of("img_attn.qkv", "nothing.here")));
            assertTrue(e.getMessage().contains("nothing.here"), e.getMessage());
        }
    }

    @Test
    void initIsKaimingUniformAndZeroB() {
        try (TensorArena a = TensorArena.create("t")) {
            Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, a);
            Lora lora = Lora.attach(m, List.of("linear1"), new Lora.Config(4, 4, 0, 0), new Rng(1), a);
            var layer = lora.layers().get("single_blocks.0.linear1");
            double bound = 1 / Math.sqrt(16);
            for (float v : layer.a.weight.value().toFloatArray()) assertTrue(Math.abs(v) <= bound);
            for (float v : layer.b.weight.value().toFloatArray()) assertEquals(0f, v);
            assertTrue(m.trainableParameters().isEmpty(), "the base model is frozen");
            assertEquals(4, lora.trainableParameters().size());
        }
    }

    @Test
    void checkpointingGivesTheSameGradients() {
        float[][] grads = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (TensorArena p = TensorArena.create("p"); TensorArena s = TensorArena.open("s")) {
                Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, p);
                Rng rng = new Rng(7);
                m.namedParameters().values().forEach(par -> rng.fillNormal(par.value(), 0, 0.3));
                Lora lora = Lora.attach(m, LoraTargets.preset("all"), new Lora.Config(2, 4, 0.1, 3), new Rng(2), p);
                lora.namedParameters().values().forEach(par -> rng.fillNormal(par.value(), 0, 0.2));
                m.setGradientCheckpointing(run == 1);
                Tensor x = rng.normal(0, 1, 1, 6, 8), ctx = rng.normal(0, 1, 1, 3, 12);
                Var y = m.forward(Var.constant(x), TokenIds.image(1, 2, 3), Var.constant(ctx), TokenIds.text(1, 3),
                        Tensor.of(new float[]{0.4f}, 1), Tensor.of(new float[]{3f}, 1));
                F.mseLoss(y, Var.constant(Tensor.zeros(DType.F32, 1, 6, 8))).backward();
                grads[run] = lora.namedParameters().values().stream().map(par -> par.grad().toFloatArray())
                        .reduce(new float[0], LoraTest::concat);
            }
        }
        assertEquals(grads[0].length, grads[1].length);
        for (int i = 0; i < grads[0].length; i++) assertEquals(grads[0][i], grads[1][i], 1e-6 * (1 + Math.abs(grads[0][i])), "gradient " + i);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
