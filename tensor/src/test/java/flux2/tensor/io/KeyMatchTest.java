package flux2.tensor.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One report of missing, unexpected, given-twice, mis-shaped and other problems, kind by kind. */
class KeyMatchTest {
    private static Map<String, int[]> shapes(Object... nameShape) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameShape.length; i += 2) m.put((String) nameShape[i], (int[]) nameShape[i + 1]);
        return m;
    }

    @Test
    void everyKindOfProblemIsListedWithItsCount() {
        Map<String, int[]> expected = shapes("a.weight", new int[]{2, 3}, "a.bias", new int[]{2}, "b.weight", new int[]{4});
        Map<String, int[]> given = shapes("a.weight", new int[]{3, 2}, "b.weight", new int[]{4}, "c.weight", new int[]{1}, "d", new int[]{1});
        KeyMatch m = KeyMatch.of(expected, given, true).givenTwice("x.b.weight", "b.weight").add("unsupported dtypes (F32 only)", "b.weight (I64)");
        var e = assertThrows(IllegalArgumentException.class, () -> m.check("weights do not match the model"));
        assertEquals("""
                weights do not match the model:
                  missing keys (1): a.bias
                  unexpected keys (2): c.weight, d
                  given twice (1): x.b.weight and b.weight
                  wrong shapes (1): a.weight (expected [2, 3], got [3, 2])
                  unsupported dtypes (F32 only) (1): b.weight (I64)""", e.getMessage());
    }

    @Test
    void extraKeysCountOnlyWhenStrictAndAFullMatchIsEmpty() {
        Map<String, int[]> expected = shapes("w", new int[]{2});
        Map<String, int[]> given = shapes("w", new int[]{2}, "extra", new int[]{1});
        assertTrue(KeyMatch.of(expected, given, false).isEmpty());
        assertDoesNotThrow(() -> KeyMatch.of(expected, given, false).check("unused"));
        KeyMatch strict = KeyMatch.of(expected, given, true);
        assertFalse(strict.isEmpty());
        assertTrue(strict.describe("m").contains("unexpected keys (1): extra"), strict.describe("m"));
    }
}
