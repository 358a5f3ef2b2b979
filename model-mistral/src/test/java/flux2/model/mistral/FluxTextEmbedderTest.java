package flux2.model.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reused pad rows give the same embedding as the full padded forward. */
class FluxTextEmbedderTest {
    @TempDir Path dir;

    @Test
    void cachedPadRowsEqualTheFullForward() throws Exception {
        MistralConfig c = SyntheticMistral.tinyConfig();
        Map<String, Tensor> all = SyntheticMistral.tensors(c, "language_model.model.", 11);
        Path index = SyntheticMistral.writeSharded(dir, all, k -> true);
        int l = 10;
        float[] ids = {11, 11, 11, 11, 11, 1, 17, 40, 23, 4,   11, 11, 1, 17, 52, 8, 33, 19, 63, 4,   1, 3, 5, 7, 9, 2, 4, 6, 8, 10};
        float[] mask = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1,   0, 0, 1, 1, 1, 1, 1, 1, 1, 1,   1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        try (MistralModel m = MistralCheckpoint.load(index, c); var embedder = new FluxTextEmbedder(m); var a = TensorArena.open("t")) {
            Tensor idt = Tensor.of(ids, 3, l), mt = Tensor.of(mask, 3, l);
            Tensor fast = embedder.embed(idt, mt);
            Tensor again = embedder.embed(idt, mt);  // second call takes the cached rows
            Tensor[] full = m.hiddenStates(idt, mt, 0, c.outputLayers());
            float[] want = flux2.tensor.Layouts.concat(2, full).toFloatArray();
            // Same math; only the FP32 summation order differs (shorter matmuls and attention over real keys only).
            double err = relL2(fast.toFloatArray(), want);
            System.out.printf("pad-row reuse vs full padded forward: rel L2 %.2e%n", err);
            assertTrue(err < 1e-6, "rel L2 " + err);
            assertArrayEquals(fast.toFloatArray(), again.toFloatArray());
        }
    }

    private static double relL2(float[] a, float[] b) {
        double d = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }
}
