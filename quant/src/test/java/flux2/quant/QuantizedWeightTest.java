package flux2.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class QuantizedWeightTest {
    static Stream<QuantScheme> schemes() {
        return Stream.of(QuantScheme.INT8, QuantScheme.int4(32, false), QuantScheme.int4(64, true), QuantScheme.int4(128, false),
                QuantScheme.int4(128, true));
    }

    private static Tensor weight(int out, int in, long seed) {
        Tensor w = new Rng(seed).normal(0, 0.05, out, in);
        // One outlier per row and a zero row exercise the scale choice.
        for (int r = 0; r < out; r++) w.set(0.4 * (r % 3 - 1), r, (r * 7) % in);
        for (int i = 0; i < in; i++) w.set(0, 1, i);
        return w;
    }

    @ParameterizedTest
    @MethodSource("schemes")
    void roundTripErrorIsAtMostHalfAScale(QuantScheme scheme) {
        try (var a = TensorArena.open("t")) {
            int out = 37, in = 384;
            Tensor w = weight(out, in, 1);
            QuantizedWeight q = QuantizedWeight.quantize(w, scheme, a);
            float[] d = q.dequantize().toFloatArray(), ref = w.toFloatArray(), s = q.scale().toFloatArray();
            int groups = scheme.format() == QuantFormat.INT8 ? 1 : in / scheme.groupSize();
            int levels = scheme.format() == QuantFormat.INT8 ? 127 : 7;
            for (int r = 0; r < out; r++) {
                for (int i = 0; i < in; i++) {
                    float scale = s[r * groups + i * groups / in];
                    double err = Math.abs(d[r * in + i] - ref[r * in + i]);
                    // Half a step, plus the float rounding of w / s and q * s.
                    double bound = scale / 2 * (1 + 1e-6) + Math.ulp((float) (levels * scale + 1e-30));
                    if (err > bound) throw new AssertionError(scheme.id() + " row " + r + " col " + i + ": error " + err + " > " + bound);
                }
            }
            assertEquals(0, s[groups], "the zero row gets a zero scale");
        }
    }

    @Test
    void int8ValuesUseTheFullSymmetricRange() {
        try (var a = TensorArena.open("t")) {
            Tensor w = Tensor.of(new float[]{-2, 1, 0.5f, 2, 0, 0.3f}, 2, 3);
            QuantizedWeight q = QuantizedWeight.quantize(w, QuantScheme.INT8, a);
            assertEquals(DType.I8, q.data().dtype());
            assertEquals(-127, q.data().get(0, 0));
            assertEquals(64, q.data().get(0, 1)); // 1 / (2 / 127) = 63.5 rounds up
            assertEquals(127, q.data().get(1, 0));
            assertEquals(2f / 127, q.scale().get(0), 1e-9);
        }
    }

    @ParameterizedTest
    @MethodSource("schemes")
    void productsMatchTheDequantizedWeight(QuantScheme scheme) {
        try (var a = TensorArena.open("t")) {
            // Ragged sizes: rows not a multiple of 6, outputs not of 16, inputs across two k blocks.
            int m = 23, out = 37, in = 384;
            Tensor w = weight(out, in, 2);
            QuantizedWeight q = QuantizedWeight.quantize(w, scheme, a);
            Tensor wd = q.dequantize();
            Tensor x = new Rng(3).normal(0, 1, m, in).reshape(1, m, in);
            assertClose(x.matmul(wd.t()), q.forward(x));
            Tensor dy = new Rng(4).normal(0, 1, m, out).reshape(1, m, out);
            assertClose(dy.matmul(wd), q.backwardInput(dy));
        }
    }

    @Test
    void bf16WeightsQuantizeLikeTheirF32Values() {
        try (var a = TensorArena.open("t")) {
            Tensor w = weight(20, 256, 5).to(DType.BF16);
            Tensor fromBf16 = QuantizedWeight.quantize(w, QuantScheme.INT4, a).dequantize();
            Tensor fromF32 = QuantizedWeight.quantize(w.to(DType.F32), QuantScheme.INT4, a).dequantize();
            assertClose(fromF32, fromBf16);
        }
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        try (var a = TensorArena.open("t")) {
            var e = assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(Tensor.zeros(DType.F32, 4, 48), QuantScheme.int4(32, false), a));
            assertTrue(e.getMessage().contains("groups of 32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> QuantScheme.int4(16, false));
            assertTrue(e.getMessage().contains("[32, 64, 128]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new QuantizedWeight(QuantScheme.INT8, Tensor.zeros(DType.I8, 4, 8), Tensor.zeros(DType.F32, 3), null));
            assertTrue(e.getMessage().contains("scales must be contiguous F32 [4]"), e.getMessage());
        }
    }

    @Test
    void schemeIdsRoundTrip() {
        schemes().forEach(s -> assertEquals(s, QuantScheme.parse(s.id())));
        assertThrows(IllegalArgumentException.class, () -> QuantScheme.parse("int3"));
    }

    @Test
    void precisionNamesFollowTheConfigValues() {
        assertEquals(Precision.INT8, Precision.parse("int8-quanto"));
        assertEquals(Precision.INT4, Precision.parse("int4-quanto"));
        assertEquals(Precision.NO_CHANGE, Precision.parse("no_change"));
        assertEquals(Precision.BF16, Precision.parse("bf16"));
        assertEquals(QuantScheme.INT4, Precision.parse("int4").scheme());
        var e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8-torchao"));
        assertEquals("unsupported precision 'fp8-torchao'; supported: no_change, bf16, int8, int8-quanto, int4, int4-quanto", e.getMessage());
    }

    static void assertClose(Tensor expected, Tensor actual) {
        float[] e = expected.toFloatArray(), g = actual.toFloatArray();
        assertEquals(e.length, g.length);
        double num = 0, den = 0;
        for (int i = 0; i < e.length; i++) {
            num += (e[i] - g[i]) * (double) (e[i] - g[i]);
            den += e[i] * (double) e[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertTrue(rel < 1e-6, "relative L2 error " + rel);
    }
}
