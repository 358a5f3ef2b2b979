package flux2.tensor;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void sameTensorWhateverTheThreadCount() {
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = new Rng(42).normal(0, 1, 3, Rng.CHUNK + 1000).toFloatArray();
            Parallel.setThreads(2);
            float[] two = new Rng(42).normal(0, 1, 3, Rng.CHUNK + 1000).toFloatArray();
            Parallel.setThreads(5);
            float[] five = new Rng(42).normal(0, 1, 3, Rng.CHUNK + 1000).toFloatArray();
            assertArrayEquals(one, two);
            assertArrayEquals(one, five);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void moments() {
        float[] n = new Rng(7).normal(2, 3, 400_000).toFloatArray();
        double m = 0, v = 0;
        for (float x : n) m += x;
        m /= n.length;
        for (float x : n) v += (x - m) * (x - m);
        v /= n.length;
        assertEquals(2, m, 0.03);
        assertEquals(3, Math.sqrt(v), 0.03);
        float[] u = new Rng(7).uniform(-1, 3, 400_000).toFloatArray();
        double um = 0;
        for (float x : u) {
            assertTrue(x >= -1 && x < 3);
            um += x;
        }
        assertEquals(1, um / u.length, 0.02);
    }

    @Test
    void successiveCallsAndSeedsDiffer() {
        Rng r = new Rng(1);
        float[] a = r.normal(0, 1, 100).toFloatArray();
        float[] b = r.normal(0, 1, 100).toFloatArray();
        assertFalse(java.util.Arrays.equals(a, b));
        assertFalse(java.util.Arrays.equals(a, new Rng(2).normal(0, 1, 100).toFloatArray()));
        Rng resumed = new Rng(1);
        resumed.setCalls(1);
        assertArrayEquals(b, resumed.normal(0, 1, 100).toFloatArray());
    }

    @Test
    void fillsBf16AndStridedTargets() {
        Tensor t = Tensor.zeros(DType.BF16, 4, 6);
        new Rng(3).fillNormal(t.t(), 0, 1);
        Tensor ref = new Rng(3).normal(0, 1, 6, 4);
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 4; j++)
                assertEquals(Half.bf16ToFloat(Half.floatToBf16((float) ref.get(i, j))), t.get(j, i));
    }

    @Test
    void aSliceOfABatchDrawsThoseSamplesOfTheWholeDraw() {
        // samples of 3 * 29 * 37 = 3219 elements: slices start inside chunks, cross chunk ends and end inside them
        int batch = 61, per = 3219;
        Rng whole = new Rng(9);
        whole.setCalls(4);
        float[] all = whole.normal(0.5, 2, batch, 3, 29, 37).toFloatArray();
        float[] uAll = whole.uniform(-1, 1, batch, 3, 29, 37).toFloatArray();
        for (int[] fc : new int[][] {{0, 1}, {20, 1}, {20, 21}, {40, 21}, {0, 61}, {60, 1}, {7, 0}}) {
            Rng r = new Rng(9);
            r.setCalls(4);
            BatchSlice s = new BatchSlice(fc[0], fc[1], batch);
            float[] part = r.normal(0.5, 2, s, fc[1], 3, 29, 37).toFloatArray();
            float[] uPart = r.uniform(-1, 1, s, fc[1], 3, 29, 37).toFloatArray();
            assertEquals(6, r.calls(), "one call per draw, as the whole batch's draws");
            assertArrayEquals(java.util.Arrays.copyOfRange(all, fc[0] * per, (fc[0] + fc[1]) * per), part, "normal slice " + s);
            assertArrayEquals(java.util.Arrays.copyOfRange(uAll, fc[0] * per, (fc[0] + fc[1]) * per), uPart, "uniform slice " + s);
        }
        // the element shape of a slice need not start with the batch axis: a flattened [samples * rows, width] view
        Rng r = new Rng(9);
        r.setCalls(4);
        float[] flat = r.normal(0.5, 2, new BatchSlice(2, 3, batch), 3 * 87, 37).toFloatArray();
        assertArrayEquals(java.util.Arrays.copyOfRange(all, 2 * per, 5 * per), flat);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Rng(1).normal(0, 1, new BatchSlice(0, 2, 4), 3));
        assertTrue(e.getMessage().contains("3 elements cannot hold 2 samples"), e.getMessage());
    }
}
