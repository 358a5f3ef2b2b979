package flux2.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Layout operations against explicit index formulas and round trips. */
class LayoutsTest {
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("layouts-test"); }

    @AfterEach void close() { arena.close(); }

    private static Tensor random(Random rnd, int... shape) {
        float[] v = new float[(int) Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, shape);
    }

    @Test void pixelUnshuffleMatchesIndexFormulaAndRoundTrips() {
        Random rnd = new Random(1);
        for (int r : new int[]{1, 2, 3}) {
            int n = 2, c = 3, h = 2 * r, w = 3 * r;
            Tensor x = random(rnd, n, c, h, w);
            Tensor u = Layouts.pixelUnshuffle(x, r);
            assertArrayEquals(new int[]{n, c * r * r, h / r, w / r}, u.shape());
            for (int b = 0; b < n; b++)
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < r; j++)
                            for (int y = 0; y < h / r; y++)
                                for (int z = 0; z < w / r; z++)
                                    assertEquals(x.get(b, ch, y * r + i, z * r + j), u.get(b, ch * r * r + i * r + j, y, z));
            assertArrayEquals(x.toFloatArray(), Layouts.pixelShuffle(u, r).toFloatArray());
        }
        // A non-contiguous input (channels-last storage).
        Tensor xl = random(rnd, 1, 4, 6, 5).permute(0, 3, 1, 2);
        Tensor u = Layouts.pixelUnshuffle(xl, 2);
        assertEquals(xl.get(0, 4, 3, 1), u.get(0, 4 * 4 + 1 * 2 + 1, 1, 0));
        assertArrayEquals(xl.toFloatArray(), Layouts.pixelShuffle(u, 2).toFloatArray());
    }

    @Test void pixelShuffleMatchesIndexFormula() {
        Random rnd = new Random(2);
        int r = 2;
        Tensor x = random(rnd, 1, 8, 3, 2);
        Tensor s = Layouts.pixelShuffle(x, r);
        assertArrayEquals(new int[]{1, 2, 6, 4}, s.shape());
        for (int c = 0; c < 2; c++)
            for (int h = 0; h < 6; h++)
                for (int w = 0; w < 4; w++)
                    assertEquals(x.get(0, c * 4 + (h % r) * r + (w % r), h / r, w / r), s.get(0, c, h, w));
    }

    @Test void padPositiveNegativeAndMixed() {
        Random rnd = new Random(3);
        Tensor x = random(rnd, 2, 5, 6).transpose(1, 2); // [2, 6, 5], strided
        // Last axis: 2 before, crop 1 after; middle axis: crop 2 before, 3 after.
        Tensor p = Layouts.pad(x, -7.5, 2, -1, -2, 3);
        assertArrayEquals(new int[]{2, 7, 6}, p.shape());
        for (int a = 0; a < 2; a++)
            for (int i = 0; i < 7; i++)
                for (int j = 0; j < 6; j++) {
                    int si = i + 2, sj = j - 2;
                    boolean inside = si < 6 && sj >= 0 && sj < 4;
                    assertEquals(inside ? x.get(a, si, sj) : -7.5, p.get(a, i, j), "at " + a + "," + i + "," + j);
                }
        // Cropping only: a sub-block, no fill value anywhere.
        Tensor c = Layouts.pad(x, 99, -1, -1, -1, -2, -1, 0);
        assertArrayEquals(new int[]{1, 3, 3}, c.shape());
        assertEquals(x.get(1, 1, 1), c.get(0, 0, 0));
        assertEquals(x.get(1, 3, 3), c.get(0, 2, 2));
        // Zero padding on one side, as the VAE downsample does.
        Tensor img = random(rnd, 1, 2, 3, 3);
        Tensor z = Layouts.pad(img, 0, 0, 1, 0, 1);
        assertArrayEquals(new int[]{1, 2, 4, 4}, z.shape());
        assertEquals(img.get(0, 1, 2, 2), z.get(0, 1, 2, 2));
        assertEquals(0.0, z.get(0, 1, 3, 1));
        // Cropping everything away on one axis leaves only the fill value.
        Tensor all = Layouts.pad(Tensor.of(new float[]{1, 2}, 2), 4, -2, 3);
        assertArrayEquals(new float[]{4, 4, 4}, all.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Layouts.pad(x, 0, -3, -3));
        assertThrows(IllegalArgumentException.class, () -> Layouts.pad(x, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Layouts.pad(x, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    }

    @Test void concatAndSplitRoundTrip() {
        Random rnd = new Random(4);
        Tensor a = random(rnd, 2, 3, 4), b = random(rnd, 2, 5, 4).narrow(2, 0, 4), c = random(rnd, 4, 1, 2).permute(2, 1, 0);
        Tensor cat = Layouts.concat(1, a, b, c);
        assertArrayEquals(new int[]{2, 9, 4}, cat.shape());
        assertEquals(b.get(1, 2, 3), cat.get(1, 5, 3));
        assertEquals(c.get(1, 0, 2), cat.get(1, 8, 2));
        Tensor[] parts = Layouts.split(cat, 1, 3, 5, 1);
        assertArrayEquals(a.toFloatArray(), parts[0].toFloatArray());
        assertArrayEquals(b.toFloatArray(), parts[1].toFloatArray());
        assertArrayEquals(c.toFloatArray(), parts[2].toFloatArray());
        assertArrayEquals(cat.toFloatArray(), Layouts.concat(-2, parts).toFloatArray());
        // On the last axis, with negative axis numbers.
        Tensor[] cols = Layouts.split(cat, -1, 1, 0, 3);
        assertEquals(0, cols[1].size(2));
        assertArrayEquals(cat.toFloatArray(), Layouts.concat(-1, cols).toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layouts.concat(0, a, b));
        assertTrue(e.getMessage().contains("[2, 5, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Layouts.concat(1, a, a.to(DType.BF16)));
        e = assertThrows(IllegalArgumentException.class, () -> Layouts.split(cat, 1, 4, 4));
        assertTrue(e.getMessage().contains("add up to 8"), e.getMessage());
    }

    @Test void chunkFollowsTorchSizes() {
        Tensor x = Tensor.arange(10);
        int[] sizes = Arrays.stream(Layouts.chunk(x, 0, 3)).mapToInt(t -> t.size(0)).toArray();
        assertArrayEquals(new int[]{4, 4, 2}, sizes);
        sizes = Arrays.stream(Layouts.chunk(Tensor.arange(6), 0, 4)).mapToInt(t -> t.size(0)).toArray();
        assertArrayEquals(new int[]{2, 2, 2}, sizes);
        Tensor[] parts = Layouts.chunk(x, 0, 3);
        assertEquals(8.0, parts[2].get(0));
        assertArrayEquals(x.toFloatArray(), Layouts.concat(0, parts).toFloatArray());
    }

    @Test void upsampleNearestRepeatsPixels() {
        Random rnd = new Random(5);
        Tensor x = random(rnd, 2, 3, 4, 5).transpose(2, 3).transpose(2, 3).narrow(3, 1, 3);
        Tensor u = Layouts.upsampleNearest(x, 2);
        assertArrayEquals(new int[]{2, 3, 8, 6}, u.shape());
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int h = 0; h < 8; h++)
                    for (int w = 0; w < 6; w++) assertEquals(x.get(b, c, h / 2, w / 2), u.get(b, c, h, w));
        assertThrows(IllegalArgumentException.class, () -> Layouts.upsampleNearest(Tensor.zeros(DType.F32, 3, 4, 4), 2));
    }

    @Test void indexSelectWrapper() {
        Tensor x = Tensor.of(new float[]{0, 1, 2, 3, 4, 5}, 3, 2);
        Tensor out = Layouts.indexSelect(x, 0, Tensor.ofLongs(new long[]{2, 2, 0}, 3));
        assertArrayEquals(new float[]{4, 5, 4, 5, 0, 1}, out.toFloatArray());
        out = Layouts.indexSelect(x, -1, Tensor.ofLongs(new long[]{1}, 1));
        assertArrayEquals(new float[]{1, 3, 5}, out.toFloatArray());
    }

    @Test void badShapesAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layouts.pixelUnshuffle(Tensor.zeros(DType.F32, 1, 2, 5, 4), 2));
        assertTrue(e.getMessage().contains("multiples of 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Layouts.pixelShuffle(Tensor.zeros(DType.F32, 1, 6, 2, 2), 2));
        assertTrue(e.getMessage().contains("multiple of 2*2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Layouts.pixelShuffle(Tensor.zeros(DType.F32, 4, 2, 2), 2));
        assertTrue(e.getMessage().contains("[N, C, H, W]"), e.getMessage());
    }
}
