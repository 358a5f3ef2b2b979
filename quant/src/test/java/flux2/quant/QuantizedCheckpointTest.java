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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizedCheckpointTest {
    @TempDir Path dir;

    /** A small BF16 model file: two linear weights, a bias and a norm weight (1-D, so not quantized). */
    private Path bf16Model() throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (var a = TensorArena.open("gen")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("blocks.0.qkv.weight", new Rng(1).normal(0, 0.05, 96, 64).to(DType.BF16));
            t.put("blocks.0.qkv.bias", new Rng(2).normal(0, 0.05, 96).to(DType.BF16));
            t.put("blocks.0.proj.weight", new Rng(3).normal(0, 0.05, 40, 128).to(DType.BF16));
            t.put("norm.weight", new Rng(4).normal(1, 0.1, 64).to(DType.BF16));
            SafetensorsWriter.write(file, t, Map.of("model", "test"));
        }
        return file;
    }

    @Test
    void quantizeOnLoadSaveAndReloadKeepTheErrorBounds() throws Exception {
        Path model = bf16Model();
        for (QuantScheme scheme : List.of(QuantScheme.INT8, QuantScheme.int4(32, true), QuantScheme.int4(64, false))) {
            Path out = dir.resolve(scheme.id() + ".safetensors");
            try (var a = TensorArena.open("q"); TensorSource src = Checkpoints.open(model)) {
                QuantizedTensors q = QuantizedCheckpoint.quantize(src, scheme, QuantizedCheckpoint.linearWeights(), a);
                assertEquals(List.of("blocks.0.proj.weight", "blocks.0.qkv.weight"), List.copyOf(q.weights().keySet()));
                assertEquals(List.of("blocks.0.qkv.bias", "norm.weight"), List.copyOf(q.others().keySet()));
                QuantizedCheckpoint.save(out, q, Map.of("source", "model.safetensors"));
            }
            try (var a = TensorArena.open("check"); TensorSource src = Checkpoints.open(model); TensorSource back = Checkpoints.open(out)) {
                QuantizedTensors q = QuantizedCheckpoint.load(back);
                assertEquals("model.safetensors", back.metadata().get("source"));
                for (var e : q.weights().entrySet()) {
                    assertEquals(scheme, e.getValue().scheme());
                    assertWithinHalfAStep(src.tensor(e.getKey()).to(DType.F32), e.getValue());
                }
                assertEquals(0, maxAbsDiff(src.tensor("norm.weight").to(DType.F32), q.others().get("norm.weight").to(DType.F32)));
                assertEquals(DType.BF16, q.others().get("blocks.0.qkv.bias").dtype());
            }
        }
    }

    @Test
    void quantizedFilesAreSmaller() throws Exception {
        Path model = bf16Model();
        try (var a = TensorArena.open("q"); TensorSource src = Checkpoints.open(model)) {
            long weights = (96L * 64 + 40 * 128);
            long int8 = QuantizedCheckpoint.quantize(src, QuantScheme.INT8, QuantizedCheckpoint.linearWeights(), a).byteSize();
            long int4 = QuantizedCheckpoint.quantize(src, QuantScheme.int4(32, false), QuantizedCheckpoint.linearWeights(), a).byteSize();
            long others = 2 * (96 + 64);
            assertEquals(weights + 4 * (96 + 40) + 4 * (64 + 128) + others, int8);  // row and column scales
            assertEquals(weights / 2 + 4 * (96 * 2 + 40 * 4) + others, int4);
        }
    }

    @Test
    void mappedPagesAreReleasedAfterUse() throws Exception {
        Path model = bf16Model();
        try (TensorSource src = Checkpoints.open(model)) {
            Tensor t = src.tensor("blocks.0.qkv.weight");
            t.to(DType.F32);
            boolean linux = System.getProperty("os.name").toLowerCase().contains("linux");
            assertEquals(linux, MappedPages.release(t));
            assertEquals(new Rng(1).normal(0, 0.05, 96, 64).to(DType.BF16).get(5, 7), t.get(5, 7), "the data is read again after release");
            try (var a = TensorArena.open("x")) {
                assertTrue(!MappedPages.release(Tensor.zeros(DType.F32, 4)), "arena memory is never released");
            }
        }
    }

    @Test
    void brokenCheckpointsListEveryProblem() throws Exception {
        Path file = dir.resolve("broken.safetensors");
        try (var a = TensorArena.open("gen")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("a.weight", Tensor.zeros(DType.U8, 4, 16));
            t.put("b.weight", Tensor.zeros(DType.I8, 4, 8));
            t.put("b.weight_scale", Tensor.zeros(DType.F32, 5));
            t.put("d.weight", Tensor.zeros(DType.U8, 4, 8));
            t.put("d.weight_scale", Tensor.zeros(DType.F32, 4, 1));
            t.put("e.weight", Tensor.zeros(DType.I8, 4, 8));
            t.put("e.weight_scale", Tensor.zeros(DType.F32, 4));
            SafetensorsWriter.write(file, t, Map.of("quant:a.weight", "int4-g32-zp", "quant:b.weight", "int8", "quant:c.weight", "int3",
                    "quant:d.weight", "int4-g32", "quant_inputs:d.weight", "20", "quant:e.weight", "int8-col"));
        }
        try (TensorSource src = Checkpoints.open(file)) {
            var e = assertThrows(IllegalArgumentException.class, () -> QuantizedCheckpoint.load(src));
            String m = e.getMessage();
            assertTrue(m.contains("a.weight: missing tensors [a.weight_scale, a.weight_zero]"), m);
            assertTrue(m.contains("b.weight: bad quantized weight (int8): scales must be contiguous F32 [4]"), m);
            assertTrue(m.contains("c.weight: unknown quantization scheme 'int3'"), m);
            assertTrue(m.contains("d.weight: input count 20 does not fit values 16 wide"), m);
            assertTrue(m.contains("e.weight: missing tensors [e.weight_column_scale]"), m);
        }
        Path newer = dir.resolve("newer.safetensors");
        try (var a = TensorArena.open("gen")) {
            SafetensorsWriter.write(newer, Map.of("x", Tensor.zeros(DType.F32, 2)), Map.of(QuantizedCheckpoint.VERSION_KEY, "3"));
        }
        try (TensorSource src = Checkpoints.open(newer)) {
            var e = assertThrows(IllegalArgumentException.class, () -> QuantizedCheckpoint.load(src));
            assertTrue(e.getMessage().contains("quant_format_version is '3'; this version reads 1 and 2"), e.getMessage());
        }
    }

    /** Weights with input sizes that no int4 group divides: 60, 100, 33 and 1. */
    private Path oddModel() throws Exception {
        Path file = dir.resolve("odd.safetensors");
        try (var a = TensorArena.open("gen")) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            int[][] shapes = {{8, 60}, {5, 100}, {6, 33}, {3, 1}};
            for (int k = 0; k < shapes.length; k++)
                t.put("l" + k + ".weight", new Rng(10 + k).normal(0, 0.05, shapes[k][0], shapes[k][1]).to(DType.BF16));
            SafetensorsWriter.write(file, t, Map.of());
        }
        return file;
    }

    @Test
    void anyInputSizeSavesAndLoadsBackBitForBit() throws Exception {
        Path model = oddModel();
        for (QuantScheme scheme : List.of(QuantScheme.INT8, QuantScheme.INT8_ROW, QuantScheme.int4(32, true), QuantScheme.int4(64, false),
                QuantScheme.int4(128, false), QuantScheme.INT4, QuantScheme.int4(32, true, true))) {
            Path out = dir.resolve("odd-" + scheme.id() + ".safetensors");
            Map<String, float[]> before = new LinkedHashMap<>();
            try (var a = TensorArena.open("q"); TensorSource src = Checkpoints.open(model)) {
                QuantizedTensors q = QuantizedCheckpoint.quantize(src, scheme, QuantizedCheckpoint.linearWeights(), a);
                q.weights().forEach((n, w) -> before.put(n, w.dequantize().toFloatArray()));
                QuantizedCheckpoint.save(out, q, Map.of());
            }
            try (var a = TensorArena.open("check"); TensorSource src = Checkpoints.open(model); TensorSource back = Checkpoints.open(out)) {
                QuantizedTensors q = QuantizedCheckpoint.load(back);
                assertEquals(before.keySet(), q.weights().keySet());
                for (var e : q.weights().entrySet()) {
                    QuantizedWeight w = e.getValue();
                    Tensor dense = src.tensor(e.getKey()).to(DType.F32);
                    assertEquals(dense.size(1), w.inFeatures(), e.getKey());
                    assertArrayEquals(before.get(e.getKey()), w.dequantize().toFloatArray(), scheme.id() + " " + e.getKey());
                    QuantizedWeightTest.assertWithinHalfAStep(dense, w);
                    Tensor x = new Rng(5).normal(0, 1, 3, w.inFeatures());
                    QuantizedWeightTest.assertClose(x.matmul(w.dequantize().t()), w.forward(x));
                }
                if (scheme.format() == QuantFormat.INT4) assertEquals("33", back.metadata().get(QuantizedCheckpoint.INPUTS_KEY + "l2.weight"));
            }
        }
    }

    private static void assertWithinHalfAStep(Tensor w, QuantizedWeight q) {
        QuantizedWeightTest.assertWithinHalfAStep(w, q);
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
