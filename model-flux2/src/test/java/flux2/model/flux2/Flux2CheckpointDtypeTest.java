package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorSource;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dtypes a transformer checkpoint may store: floating weights load and run, integer ones are refused by name. */
class Flux2CheckpointDtypeTest {
    @TempDir Path dir;

    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 1, 1, new int[]{2, 2, 2, 2}, 2000, 2.0, true);

    /** A model whose weights are multiples of 1/64 in [-0.5, 0.5]: exact in F16, so every dtype stores the same values. */
    private static Flux2Transformer model(TensorArena arena) {
        Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, arena);
        Random r = new Random(3);
        for (Parameter p : m.namedParameters().values()) {
            float[] v = new float[Math.toIntExact(p.value().numel())];
            for (int i = 0; i < v.length; i++) v[i] = (r.nextInt(65) - 32) / 64f;
            p.value().copyFrom(Tensor.of(v, p.value().shape()));
        }
        return m;
    }

    private static Path save(Flux2Transformer m, Path f, DType dtype, String asI8) throws Exception {
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (var e : m.namedParameters().entrySet())
            state.put(e.getKey(), e.getValue().value().to(e.getKey().equals(asI8) ? DType.I8 : dtype));
        SafetensorsWriter.write(f, state);
        return f;
    }

    private static float[] run(Flux2Transformer m) {
        Random r = new Random(5);
        float[] x = new float[4 * 8], ctx = new float[3 * 12];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < ctx.length; i++) ctx[i] = (float) r.nextGaussian();
        return m.forward(Tensor.of(x, 1, 4, 8), TokenIds.image(1, 2, 2), Tensor.of(ctx, 1, 3, 12), TokenIds.text(1, 3),
                Tensor.of(new float[]{0.5f}, 1), Tensor.of(new float[]{3f}, 1)).toFloatArray();
    }

    @Test
    void f16AndBf16WeightsRunLikeF32AndIntegerWeightsAreRefused() throws Exception {
        try (TensorArena a = TensorArena.open("t"); TensorArena p = TensorArena.create("p")) {
            Flux2Transformer original = model(p);
            float[] expected = run(original);
            for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Path f = save(original, dir.resolve(dt + ".safetensors"), dt, null);
                try (TensorSource src = Checkpoints.open(f)) {
                    Flux2Transformer loaded = new Flux2Transformer(TINY, DType.F32, p);
                    Flux2Checkpoint.load(loaded, src, p, false);
                    assertArrayEquals(expected, run(loaded), dt + " weights");
                }
            }
            String weight = "double_blocks.0.img_attn.qkv.weight";
            Path f = save(original, dir.resolve("i8.safetensors"), DType.BF16, weight);
            try (TensorSource src = Checkpoints.open(f)) {
                var e = assertThrows(IllegalArgumentException.class, () -> Flux2Checkpoint.load(new Flux2Transformer(TINY, DType.F32, p), src, p, false));
                for (String s : new String[]{f.toString(), weight + " (I8)", "allowed: F32, BF16, F16"})
                    assertTrue(e.getMessage().contains(s), "'" + s + "' not in: " + e.getMessage());
            }
        }
    }
}
