package flux2.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

/** fp8 e4m3fn weights with row scales: the codec against the format's definition, products, files and names. */
class Fp8WeightTest {
    @TempDir Path dir;

    @Test
    void codesHoldTheE4m3fnValues() {
        assertEquals(0f, Fp8Codec.value(0x00));
        assertEquals(0x1p-9f, Fp8Codec.value(0x01), "smallest subnormal");
        assertEquals(7 * 0x1p-9f, Fp8Codec.value(0x07), "largest subnormal");
        assertEquals(0x1p-6f, Fp8Codec.value(0x08), "smallest normal");
        assertEquals(1f, Fp8Codec.value(0x38));
        assertEquals(1.125f, Fp8Codec.value(0x39));
        assertEquals(448f, Fp8Codec.value(0x7E), "largest finite");
        assertEquals(-2f, Fp8Codec.value(0xC0));
        assertTrue(Float.isNaN(Fp8Codec.value(0x7F)) && Float.isNaN(Fp8Codec.value(0xFF)), "s 1111 111 is NaN, no infinities");
        // every finite code encodes back to itself (the negative zero to 0x80)
        for (int c = 0; c < 256; c++)
            if (!Float.isNaN(Fp8Codec.value(c))) assertEquals((byte) c, Fp8Codec.encode(Fp8Codec.value(c)), "code " + c);
    }

    @Test
    void encodingRoundsToTheNearestCodeTiesToEvenAndSaturates() {
        assertEquals((byte) 0x38, Fp8Codec.encode(1.0625f), "halfway between 1 and 1.125: the even mantissa");
        assertEquals((byte) 0x3A, Fp8Codec.encode(1.1875f), "halfway between 1.125 and 1.25: the even mantissa");
        assertEquals((byte) 0x39, Fp8Codec.encode(1.07f));
        assertEquals((byte) 0x40, Fp8Codec.encode(1.97f), "rounds up into the next binade");
        assertEquals((byte) 0x00, Fp8Codec.encode(0x1p-10f), "halfway to the smallest subnormal: to zero");
        assertEquals((byte) 0x02, Fp8Codec.encode(3 * 0x1p-10f), "1.5 subnormal steps: to the even 2");
        assertEquals((byte) 0x7E, Fp8Codec.encode(1e6f));
        assertEquals((byte) 0xFE, Fp8Codec.encode(-500f));
        // against the nearest of all codes, over many magnitudes
        Rng r = new Rng(9);
        float[] xs = r.normal(0, 60, 4000).toFloatArray();
        for (float x : xs) {
            float got = Fp8Codec.value(Fp8Codec.encode(x) & 0xFF), best = Float.NaN;
            for (int c = 0; c < 256; c++) {
                float v = Fp8Codec.value(c);
                if (!Float.isNaN(v) && (Float.isNaN(best) || Math.abs(v - x) < Math.abs(best - x))) best = v;
            }
            assertEquals(Math.abs(best - x), Math.abs(got - x), 0, "x = " + x);
        }
    }

    static Tensor weight(int out, int in, long seed) {
        Tensor w = new Rng(seed).normal(0, 0.05, out, in);
        for (int r = 0; r < out; r++) w.set(0.4 * (r % 3 - 1), r, (r * 7) % in);
        for (int i = 0; i < in; i++) w.set(0, 1, i);
        return w;
    }

    /** Every element within half an e4m3 step of its scaled value: 2^-4 relative for normals, 2^-10 of the scale below. */
    static void assertWithinHalfAStep(Tensor w, QuantizedWeight q) {
        int out = q.outFeatures(), in = q.inFeatures();
        float[] d = q.dequantize().toFloatArray(), ref = w.to(DType.F32).toFloatArray(), s = q.scale().toFloatArray();
        for (int r = 0; r < out; r++)
            for (int i = 0; i < in; i++) {
                double err = Math.abs(d[r * in + i] - ref[r * in + i]);
                double bound = Math.max(Math.abs(ref[r * in + i]) / 16, s[r] * 0x1p-10) * (1 + 1e-6) + 4 * Math.ulp(448 * s[r] + 1e-30f);
                if (err > bound) throw new AssertionError("[" + r + ", " + i + "]: error " + err + " > " + bound);
            }
    }

    @Test
    void weightsQuantizeRowByRowWithinHalfAStepAndAZeroRowGetsAZeroScale() {
        for (int in : new int[]{384, 60, 33, 1})
            try (var a = TensorArena.open("t")) {
                Tensor w = weight(9, in, in);
                QuantizedWeight q = QuantizedWeight.quantize(w, QuantScheme.FP8, a);
                assertEquals(DType.U8, q.data().dtype());
                assertArrayEquals(new int[]{9, in}, q.data().shape());
                assertArrayEquals(new int[]{9}, q.scale().shape());
                assertEquals(null, q.columnScale());
                assertWithinHalfAStep(w, q);
                if (in > 1) assertEquals(0, q.scale().toFloatArray()[1], "the zero row");
                // the largest magnitude of each row is stored as +-448 exactly
                float[] s = q.scale().toFloatArray(), d = q.dequantize().toFloatArray();
                float max = 0;
                for (int i = 0; i < in; i++) max = Math.max(max, Math.abs(d[in * 2 + i]));
                assertEquals(448 * s[2], max, 1e-6 * max);
                assertEquals(9L * in + 4 * 9, q.byteSize());
            }
    }

    @Test
    void productsAndTheInputGradientMatchTheDequantizedWeight() {
        for (int in : new int[]{384, 100, 33})
            try (var a = TensorArena.open("t")) {
                int m = 23, out = 37;
                QuantizedWeight q = QuantizedWeight.quantize(weight(out, in, 2), QuantScheme.FP8, a);
                Tensor wd = q.dequantize();
                Tensor x = new Rng(3).normal(0, 1, m, in).reshape(1, m, in);
                QuantizedWeightTest.assertClose(x.matmul(wd.t()), q.forward(x));
                Tensor dy = new Rng(4).normal(0, 1, m, out).reshape(1, m, out);
                QuantizedWeightTest.assertClose(dy.matmul(wd), q.backwardInput(dy));
                Tensor bf = QuantizedWeight.quantize(weight(out, in, 2).to(DType.BF16), QuantScheme.FP8, a).dequantize();
                QuantizedWeightTest.assertClose(QuantizedWeight.quantize(weight(out, in, 2).to(DType.BF16).to(DType.F32), QuantScheme.FP8, a).dequantize(), bf);
            }
    }

    @Test
    void aWeightHoldingNanIsRefused() {
        try (var a = TensorArena.open("t")) {
            Tensor w = weight(4, 16, 1);
            w.set(Float.NaN, 3, 5);
            var e = assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(w, QuantScheme.FP8, a));
            assertTrue(e.getMessage().contains("holds 1 non-finite value (NaN or infinity; the first at row 3, column 5)"), e.getMessage());
        }
    }

    @Test
    void checkpointsSaveAndLoadBackBitForBit() throws Exception {
        Path model = dir.resolve("m.safetensors"), out = dir.resolve("m-fp8.safetensors");
        try (var a = TensorArena.open("gen")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("l0.weight", new Rng(10).normal(0, 0.05, 8, 60).to(DType.BF16));
            t.put("l1.weight", new Rng(11).normal(0, 0.05, 6, 33).to(DType.BF16));
            SafetensorsWriter.write(model, t, Map.of());
        }
        Map<String, float[]> before = new LinkedHashMap<>();
        try (var a = TensorArena.open("q"); TensorSource src = Checkpoints.open(model)) {
            QuantizedTensors q = QuantizedCheckpoint.quantize(src, QuantScheme.FP8, QuantizedCheckpoint.linearWeights(), a);
            q.weights().forEach((n, w) -> before.put(n, w.dequantize().toFloatArray()));
            QuantizedCheckpoint.save(out, q, Map.of());
        }
        try (var a = TensorArena.open("check"); TensorSource src = Checkpoints.open(model); TensorSource back = Checkpoints.open(out)) {
            QuantizedTensors q = QuantizedCheckpoint.load(back);
            assertEquals(before.keySet(), q.weights().keySet());
            for (var e : q.weights().entrySet()) {
                assertEquals(QuantScheme.FP8, e.getValue().scheme());
                assertArrayEquals(before.get(e.getKey()), e.getValue().dequantize().toFloatArray(), e.getKey());
                assertWithinHalfAStep(src.tensor(e.getKey()), e.getValue());
            }
        }
    }

    @Test
    void simpleTunersWeightOnlyFp8NamesAreThisScheme() {
        for (String name : new String[]{"fp8-native", "fp8-quanto", "fp8wo-torchao", "fp8"}) {
            assertEquals(Precision.FP8, Precision.parse(name));
            assertEquals(QuantScheme.FP8, Precision.parse(name).scheme());
        }
        assertTrue(Precision.FP8.quantized());
        assertEquals(QuantScheme.FP8, QuantScheme.parse("fp8-e4m3"));
        assertEquals(1.0, QuantScheme.FP8.bytesPerParameter());
        var e = assertThrows(IllegalArgumentException.class, () -> new QuantScheme(QuantFormat.FP8_E4M3, 0, false, true));
        assertTrue(e.getMessage().contains("no group size, zero point or column scales"), e.getMessage());
    }
}
