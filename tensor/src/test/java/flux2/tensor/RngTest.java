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
}
