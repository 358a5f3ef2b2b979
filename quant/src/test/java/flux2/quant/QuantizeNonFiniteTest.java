package flux2.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.nn.Linear;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A weight holding NaN or infinity is refused while it is quantized, naming the row and column, and the layer. */
class QuantizeNonFiniteTest {
    @Test
    void everySchemeFindsNanAndInfinityWherePutAnywhereInARow() {
        for (QuantScheme scheme : List.of(QuantScheme.INT8, QuantScheme.int4(32, false), QuantScheme.int4(32, true)))
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
                for (int col : new int[]{0, 37, 95}) {
                    try (TensorArena a = TensorArena.open("q")) {
                        Tensor w = new Rng(3).normal(0, 1, 5, 96);
                        w.set(bad, 2, col);
                        for (DType dt : new DType[]{DType.F32, DType.BF16}) {
                            var e = assertThrows(IllegalArgumentException.class, () -> QuantizedWeight.quantize(w.to(dt), scheme, a),
                                    scheme.id() + " " + bad + " at " + col);
                            assertEquals("holds 1 non-finite value (NaN or infinity; the first at row 2, column " + col + "): it cannot be quantized",
                                    e.getMessage());
                        }
                    }
                }
    }

    @Test
    void quantizerNamesTheLayerAndLeavesTheModelUnquantized() {
        try (TensorArena a = TensorArena.open("q")) {
            Linear ok = new Linear(64, 8, false, DType.F32, a), bad = new Linear(64, 8, false, DType.F32, a);
            new Rng(1).fillNormal(ok.weight.value(), 0, 1);
            new Rng(2).fillNormal(bad.weight.value(), 0, 1);
            bad.weight.value().set(Float.NaN, 7, 63);
            var model = new flux2.autograd.nn.Module() {
                { child("ok", ok); child("bad", bad); }
            };
            var e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(model, QuantScheme.INT8, n -> true, a));
            assertTrue(e.getMessage().contains("bad.weight holds 1 non-finite value (NaN or infinity; the first at row 7, column 63)"), e.getMessage());
            assertNull(ok.baseProduct(), "no layer stays quantized");
        }
    }
}
