package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The attention's block products against a double-precision reference, for both micro-kernels and every A layout. */
class BlockGemmTest {
    private final Random rnd = new Random(11);

    @Test
    @Tag("every-vector-width")
    void everyKernelLayoutAndEdge() {
        int l = BlockGemm.LANES;
        for (GemmKernel kernel : new GemmKernel[]{GemmKernel.AVX2, GemmKernel.AVX512}) {
            for (int m : new int[]{1, 5, 6, 7, 13, 40})
                for (int n : new int[]{l, 2 * l, 3 * l})
                    for (int k : new int[]{1, 2, 7, 64})
                        for (int layout = 0; layout < 3; layout++)
                            for (boolean acc : new boolean[]{false, true}) check(kernel, m, n, k, layout, acc);
        }
    }

    @Test
    void widthMustBeWholeVectors() {
        float[] x = new float[64];
        assertThrows(IllegalArgumentException.class, () -> BlockGemm.gemm(x, 0, 1, 1, x, 0, 1, x, 0, 1, 1, BlockGemm.LANES + 1, 1, false));
    }

    /** layout 0: A rows contiguous (am = k + 3), 1: A transposed (am = 1), 2: neither axis contiguous. */
    private void check(GemmKernel kernel, int m, int n, int k, int layout, boolean acc) {
        int am, ak;
        switch (layout) {
            case 0 -> { am = k + 3; ak = 1; }
            case 1 -> { am = 1; ak = m + 2; }
            default -> { am = 2; ak = 2 * m + 1; }
        }
        int aOff = 5, bOff = 3, ldb = n + 4, cOff = 7, ldc = n + 9;
        float[] a = rand(aOff + (m - 1) * am + (k - 1) * ak + 1), b = rand(bOff + (k - 1) * ldb + n);
        float[] c = rand(cOff + (m - 1) * ldc + n + 5), before = c.clone();
        BlockGemm.gemm(a, aOff, am, ak, b, bOff, ldb, c, cOff, ldc, m, n, k, acc, kernel);
        String label = kernel + " m=" + m + " n=" + n + " k=" + k + " layout=" + layout + " acc=" + acc;
        for (int i = 0; i < m; i++) {
            for (int x = 0; x < n; x++) {
                double sum = acc ? before[cOff + i * ldc + x] : 0, abs = Math.abs(sum);
                for (int p = 0; p < k; p++) {
                    double t = (double) a[aOff + i * am + p * ak] * b[bOff + p * ldb + x];
                    sum += t;
                    abs += Math.abs(t);
                }
                float got = c[cOff + i * ldc + x];
                assertTrue(Math.abs(got - sum) <= 1e-5 * abs + 1e-30, label + " at " + i + "," + x + ": " + got + " vs " + sum);
            }
            // nothing outside the block changes
            for (int x = n; x < ldc && cOff + i * ldc + x < c.length; x++)
                assertTrue(c[cOff + i * ldc + x] == before[cOff + i * ldc + x], label + ": wrote past column " + n);
        }
    }

    private float[] rand(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return v;
    }
}
