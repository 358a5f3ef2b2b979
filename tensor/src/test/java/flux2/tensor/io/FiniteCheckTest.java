package flux2.tensor.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FiniteCheckTest {
    @TempDir Path dir;

    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7 - 3) * 1e3f + i * 1e-3f;
        return v;
    }

    @Test
    void finiteValuesOfEveryFloatingDtypePass() {
        try (TensorArena a = TensorArena.open("finite")) {
            Tensor t = Tensor.of(ramp(300_001), 300_001);
            t.set(3e38f, 5); // near the top of F32 and BF16
            t.set(-Float.MIN_VALUE, 6);
            for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor x = dt == DType.F16 ? t.mul(1e-2).to(dt) : t.to(dt); // F16 tops out at 65504
                if (dt == DType.F16) x.set(0, 5);
                assertNull(FiniteCheck.find(x), dt.name());
            }
            assertNull(FiniteCheck.find(Tensor.ofLongs(new long[]{Long.MAX_VALUE, -1}, 2)), "integers are always finite");
        }
    }

    @Test
    void nanAndInfinityAreFoundInTheVectorBodyAndTheTailOfEveryDtype() {
        int n = 200_003; // several work items and a tail after the last full vector
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            for (int at : new int[]{0, 17, 131_072, n - 1}) {
                for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                    try (TensorArena a = TensorArena.open("finite")) {
                        Tensor t = Tensor.zeros(DType.F32, n);
                        t.set(bad, at);
                        t.set(bad, n - 1);
                        FiniteCheck.Found f = FiniteCheck.find(t.to(dt));
                        assertNotNull(f, dt + " " + bad + " at " + at);
                        assertEquals(at == n - 1 ? 1 : 2, f.count());
                        assertEquals(at, f.firstIndex());
                        assertEquals(Double.isNaN(bad), Double.isNaN(f.firstValue()));
                    }
                }
            }
        }
    }

    @Test
    void viewsAreCheckedOverTheirOwnElementsOnly() {
        try (TensorArena a = TensorArena.open("finite")) {
            Tensor t = Tensor.zeros(DType.F32, 4, 6);
            t.set(Float.NaN, 3, 5);
            assertNull(FiniteCheck.find(t.narrow(0, 0, 3)), "rows 0-2 are finite");
            assertEquals(1, FiniteCheck.find(t.narrow(1, 4, 2)).count(), "a strided view sees the NaN");
            assertEquals(7, FiniteCheck.find(t.narrow(1, 4, 2)).firstIndex(), "row-major index within the view");
        }
    }

    @Test
    void mappedBf16WeightsAreScannedInPlaceAndNamed() throws Exception {
        Path file = dir.resolve("w.safetensors");
        try (TensorArena a = TensorArena.open("finite")) {
            Tensor w = Tensor.of(ramp(4096), 64, 64);
            w.set(Float.POSITIVE_INFINITY, 10, 3);
            SafetensorsWriter.write(file, Map.of("blocks.0.weight", w.to(DType.BF16), "ok", Tensor.of(ramp(64), 64).to(DType.BF16)));
        }
        try (TensorSource src = Checkpoints.open(file)) {
            Tensor mapped = src.tensor("blocks.0.weight");
            assertTrue(mapped.storage().readOnly(), "a view of the mapped file");
            FiniteCheck.require(src.tensor("ok"), "ok");
            var e = assertThrows(IllegalArgumentException.class, () -> FiniteCheck.require(mapped, file + ": tensor 'blocks.0.weight'"));
            assertEquals(file + ": tensor 'blocks.0.weight' holds 1 non-finite value (NaN or infinity; the first is Infinity at element 643 of 4096)",
                    e.getMessage());
        }
    }
}
