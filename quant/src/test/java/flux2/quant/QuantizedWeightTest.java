package flux2.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class QuantizedWeightTest {
    static Stream<QuantScheme> schemes() {
        return Stream.of(QuantScheme.INT8, QuantScheme.INT8_ROW, QuantScheme.int4(32, false), QuantScheme.int4(64, true),
                QuantScheme.int4(128, false), QuantScheme.int4(128, true), QuantScheme.INT4, QuantScheme.int4(32, true, true));
    }

    /** Every scheme at input sizes that no group divides, odd ones and 1, beside one that spans two k blocks. */
    static Stream<Arguments> schemesAndWidths() {
        return schemes().flatMap(s -> IntStream.of(384, 60, 100, 33, 1).mapToObj(in -> Arguments.of(s, in)));
    }

    /** The quantization step of element [r, i]: its group's (or row's) scale, times its column scale if any. */
    static double step(QuantizedWeight q, float[] scales, float[] columns, int r, int i) {
        int groups = q.scheme().groups(q.inFeatures());
        int g = q.scheme().format() == QuantFormat.INT8 ? 0 : i / q.scheme().groupSize();
        return scales[r * groups + g] * (columns == null ? 1.0 : columns[i]);
    }

    private static Tensor weight(int out, int in, long seed) {
        Tensor w = new Rng(seed).normal(0, 0.05, out, in);
        // One outlier per row and a zero row exercise the scale choice.
        for (int r = 0; r < out; r++) w.set(0.4 * (r % 3 - 1), r, (r * 7) % in);
        for (int i = 0; i < in; i++) w.set(0, 1, i);
        return w;
    }

    @ParameterizedTest
    @MethodSource("schemesAndWidths")
    void roundTripErrorIsAtMostHalfAScale(QuantScheme scheme, int in) {
        try (var a = TensorArena.open("t")) {
            int out = 37;
            Tensor w = weight(out, in, 1);
            QuantizedWeight q = QuantizedWeight.quantize(w, scheme, a);
            assertWithinHalfAStep(w, q);
            assertEquals(0, q.scale().toFloatArray()[scheme.groups(in)], "the zero row gets a zero scale");
        }
    }

    /** Every element of q within half its step of w, plus the float rounding of w / c / s and q * s * c. */
    static void assertWithinHalfAStep(Tensor w, QuantizedWeight q) {
        int out = q.outFeatures(), in = q.inFeatures();
        float[] d = q.dequantize().toFloatArray(), ref = w.to(DType.F32).toFloatArray(), s = q.scale().toFloatArray();
        float[] c = q.columnScale() == null ? null : q.columnScale().toFloatArray();
        int levels = q.scheme().format() == QuantFormat.INT8 ? 127 : 16;
        for (int r = 0; r < out; r++) {
            for (int i = 0; i < in; i++) {
                double step = step(q, s, c, r, i);
                double err = Math.abs(d[r * in + i] - ref[r * in + i]);
                double bound = step / 2 * (1 + 1e-6) + 4 * Math.ulp((float) (levels * step + 1e-30));
                if (err > bound) throw new AssertionError(q.scheme().id() + " [" + r + ", " + i + "] of " + out + "x" + in + ": error " + err + " > " + bound);
            }
        }
    }

    @Test
    void int4RowsEndInAShorterGroupAndAWholeByte() {
        try (var a = TensorArena.open("t")) {
            Tensor w = weight(5, 33, 7);
            QuantizedWeight q = QuantizedWeight.quantize(w, QuantScheme.int4(32, false), a);
            assertArrayEquals(new int[]{5, 34}, q.data().shape(), "33 values padded to 17 bytes a row");
            assertArrayEquals(new int[]{5, 2}, q.scale().shape(), "a group of 32 and one of 1");
            assertEquals(33, q.inFeatures());
            for (int r = 0; r < 5; r++) {
                assertEquals(0, q.data().get(r, 33), "the padding nibble of row " + r);
                float last = (float) w.get(r, 32);
                assertEquals(Math.abs(last) / 7, q.scale().get(r, 1), 1e-9, "the last group's scale is its own element's");
                assertEquals(last, q.dequantize().get(r, 32), Math.abs(last) * 1e-6, "a one-element group is exact");
            }
        }
    }

    @Test
    void columnScalesGiveALargeColumnItsOwnRange() {
        try (var a = TensorArena.open("t")) {
            int out = 48, in = 60;
            Tensor w = new Rng(8).normal(0, 1 / Math.sqrt(in), out, in);
            for (int r = 0; r < out; r++) w.set(w.get(r, 3) * 20, r, 3);
            Tensor x = new Rng(9).normal(0, 1, 16, in);
            for (int m = 0; m < 16; m++) x.set(0, m, 3);  // what the other 59 inputs contribute
            Tensor dense = x.matmul(w.t());
            // The 20x column sets every row's (group's) scale, so the other 59 inputs get 20x coarser steps without
            // column scales.
            for (QuantScheme[] pair : new QuantScheme[][]{{QuantScheme.INT8_ROW, QuantScheme.INT8}, {QuantScheme.int4(128, false), QuantScheme.INT4}}) {
                double plain = relL2(QuantizedWeight.quantize(w, pair[0], a).forward(x), dense);
                double withColumns = relL2(QuantizedWeight.quantize(w, pair[1], a).forward(x), dense);
                System.out.printf("one 20x column: %s %.3e, %s %.3e%n", pair[0].id(), plain, pair[1].id(), withColumns);
                assertTrue(withColumns < plain / 4, pair[1].id() + " " + withColumns + " vs " + pair[0].id() + " " + plain);
            }
        }
    }

    static double relL2(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double d = 0, n = 0;
        for (int i = 0; i < x.length; i++) {
            d += (x[i] - (double) y[i]) * (x[i] - (double) y[i]);
            n += (double) y[i] * y[i];
        }
        return Math.sqrt(d / n);
    }

    @Test
    void int8ValuesUseTheFullSymmetricRange() {
        try (var a = TensorArena.open("t")) {
            Tensor w = Tensor.of(new float[]{-2, 1, 0.5f, 2, 0, 0.3f}, 2, 3);
            QuantizedWeight q = QuantizedWeight.quantize(w, QuantScheme.INT8_ROW, a);
            assertEquals(DType.I8, q.data().dtype());
            assertEquals(-127, q.data().get(0, 0));
            assertEquals(64, q.data().get(0, 1)); // 1 / (2 / 127) = 63.5 rounds up
            assertEquals(127, q.data().get(1, 0));
            assertEquals(2f / 127, q.scale().get(0), 1e-9);
            // Column scales: each column divided by its largest magnitude (2, 1, 0.5) first.
            q = QuantizedWeight.quantize(w, QuantScheme.INT8, a);
            assertArrayEquals(new float[]{2, 1, 0.5f}, q.columnScale().toFloatArray());
            assertArrayEquals(new float[]{-127, 127, 127, 127, 0, 76}, q.data().to(DType.F32).toFloatArray()); // 0.6 * 127 = 76.2
            assertEquals(1f / 127, q.scale().get(0), 1e-9);
        }
    }

    @ParameterizedTest
    @MethodSource("schemesAndWidths")
    void productsMatchTheDequantizedWeight(QuantScheme scheme, int in) {
        try (var a = TensorArena.open("t")) {
            // Ragged sizes: rows not a multiple of 6, outputs not of 16, inputs across two k blocks (384) or odd.
            int m = 23, out = 37;
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
            var e = assertThrows(IllegalArgumentException.class, () -> new QuantizedWeight(QuantScheme.int4(32, false), 33,
                    Tensor.zeros(DType.I4, 4, 33), Tensor.zeros(DType.F32, 4, 2), null, null));
            assertTrue(e.getMessage().contains("values must be [4, 34] for 33 inputs (rows padded to whole bytes), got [4, 33]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> QuantScheme.int4(16, false));
            assertTrue(e.getMessage().contains("[32, 64, 128]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new QuantizedWeight(QuantScheme.INT8_ROW, Tensor.zeros(DType.I8, 4, 8), Tensor.zeros(DType.F32, 3), null, null));
            assertTrue(e.getMessage().contains("scales must be contiguous F32 [4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new QuantizedWeight(QuantScheme.INT8, Tensor.zeros(DType.I8, 4, 8), Tensor.zeros(DType.F32, 4), null, null));
            assertEquals("bad quantized weight (int8-col): column scales are missing", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> QuantScheme.parse("int4-g48-col"));
            assertTrue(e.getMessage().contains("[32, 64, 128]"), e.getMessage());
        }
    }

    @Test
    void schemeIdsRoundTrip() {
        schemes().forEach(s -> assertEquals(s, QuantScheme.parse(s.id())));
        assertEquals("int8", QuantScheme.INT8_ROW.id());
        assertEquals("int8-col", QuantScheme.INT8.id());
        assertEquals("int4-g128-col", QuantScheme.INT4.id());
        assertEquals(QuantScheme.int4(64, true, true), QuantScheme.parse("int4-g64-zp-col"));
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
        assertEquals("unsupported precision 'fp8-torchao'; supported: no_change, bf16, int8, int8-quanto, int4, int4-quanto, fp8, fp8-native,"
                + " fp8-quanto, fp8wo-torchao", e.getMessage());
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
