package flux2.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense products on heap blocks for the attention kernels: C[m x n] (+)= A[m x k] B[k x n].
 *
 * <p>B is row-major with n contiguous floats per row and is read as vectors; A is read one scalar at a time
 * (broadcast) through arbitrary strides, so a transposed A costs nothing. This lets every product in the
 * attention forward and backward avoid per-block transposes. n must be a multiple of {@link #LANES}
 * (callers pad their blocks).
 */
final class BlockGemm {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    private BlockGemm() {}

    /** n rounded up to a whole number of vectors. */
    static int padded(int n) { return (n + LANES - 1) / LANES * LANES; }

    /**
     * C[i, x] = (accumulate ? C[i, x] : 0) + sum_p A[i, p] B[p, x] for i < m, x < n, p < k, where
     * A[i, p] = a[aOff + i*am + p*ak], B[p, x] = b[bOff + p*ldb + x] and C[i, x] = c[cOff + i*ldc + x].
     */
    static void gemm(float[] a, int aOff, int am, int ak, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate) {
        if (n % LANES != 0) throw new IllegalArgumentException("gemm width " + n + " is not a multiple of " + LANES);
        int x = 0;
        // 6 x 2 vectors: 12 accumulators, 2 loads and 6 broadcasts per step fit the 16 AVX2 registers and
        // hide the FMA latency (measured ~1.5x faster than 4 x 2 on Zen 3).
        // Columns outer, rows inner: the k x 2-vector panel of B stays in L1 while rows of A stream past.
        for (; x + 2 * LANES <= n; x += 2 * LANES) {
            int i = 0;
            for (; i + 6 <= m; i += 6) tile6x2(a, aOff + i * am, am, ak, b, bOff + x, ldb, c, cOff + i * ldc + x, ldc, k, accumulate);
            for (; i + 4 <= m; i += 4) tile4x2(a, aOff + i * am, am, ak, b, bOff + x, ldb, c, cOff + i * ldc + x, ldc, k, accumulate);
            for (; i < m; i++) tile1x2(a, aOff + i * am, ak, b, bOff + x, ldb, c, cOff + i * ldc + x, k, accumulate);
        }
        if (x < n) {
            int i = 0;
            for (; i + 4 <= m; i += 4) tile4x1(a, aOff + i * am, am, ak, b, bOff + x, ldb, c, cOff + i * ldc + x, ldc, k, accumulate);
            for (; i < m; i++) tile1x1(a, aOff + i * am, ak, b, bOff + x, ldb, c, cOff + i * ldc + x, k, accumulate);
        }
    }

    private static FloatVector start(float[] c, int off, boolean accumulate) {
        return accumulate ? FloatVector.fromArray(SPECIES, c, off) : FloatVector.zero(SPECIES);
    }

    private static void tile6x2(float[] a, int ao, int am, int ak, float[] b, int bo, int ldb,
                                float[] c, int co, int ldc, int k, boolean acc) {
        final int v = LANES;
        FloatVector c00 = start(c, co, acc), c01 = start(c, co + v, acc);
        FloatVector c10 = start(c, co + ldc, acc), c11 = start(c, co + ldc + v, acc);
        FloatVector c20 = start(c, co + 2 * ldc, acc), c21 = start(c, co + 2 * ldc + v, acc);
        FloatVector c30 = start(c, co + 3 * ldc, acc), c31 = start(c, co + 3 * ldc + v, acc);
        FloatVector c40 = start(c, co + 4 * ldc, acc), c41 = start(c, co + 4 * ldc + v, acc);
        FloatVector c50 = start(c, co + 5 * ldc, acc), c51 = start(c, co + 5 * ldc + v, acc);
        int a1 = am, a2 = 2 * am, a3 = 3 * am, a4 = 4 * am, a5 = 5 * am;
        for (int p = 0; p < k; p++, ao += ak, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bo);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bo + v);
            FloatVector s = FloatVector.broadcast(SPECIES, a[ao]);
            c00 = b0.fma(s, c00);
            c01 = b1.fma(s, c01);
            s = FloatVector.broadcast(SPECIES, a[ao + a1]);
            c10 = b0.fma(s, c10);
            c11 = b1.fma(s, c11);
            s = FloatVector.broadcast(SPECIES, a[ao + a2]);
            c20 = b0.fma(s, c20);
            c21 = b1.fma(s, c21);
            s = FloatVector.broadcast(SPECIES, a[ao + a3]);
            c30 = b0.fma(s, c30);
            c31 = b1.fma(s, c31);
            s = FloatVector.broadcast(SPECIES, a[ao + a4]);
            c40 = b0.fma(s, c40);
            c41 = b1.fma(s, c41);
            s = FloatVector.broadcast(SPECIES, a[ao + a5]);
            c50 = b0.fma(s, c50);
            c51 = b1.fma(s, c51);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + v);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + v);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + v);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + v);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + v);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + v);
    }

    private static void tile4x2(float[] a, int ao, int am, int ak, float[] b, int bo, int ldb,
                                float[] c, int co, int ldc, int k, boolean acc) {
        final int v = LANES;
        FloatVector c00 = start(c, co, acc), c01 = start(c, co + v, acc);
        FloatVector c10 = start(c, co + ldc, acc), c11 = start(c, co + ldc + v, acc);
        FloatVector c20 = start(c, co + 2 * ldc, acc), c21 = start(c, co + 2 * ldc + v, acc);
        FloatVector c30 = start(c, co + 3 * ldc, acc), c31 = start(c, co + 3 * ldc + v, acc);
        int a1 = am, a2 = 2 * am, a3 = 3 * am;
        for (int p = 0; p < k; p++, ao += ak, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bo);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bo + v);
            FloatVector s = FloatVector.broadcast(SPECIES, a[ao]);
            c00 = b0.fma(s, c00);
            c01 = b1.fma(s, c01);
            s = FloatVector.broadcast(SPECIES, a[ao + a1]);
            c10 = b0.fma(s, c10);
            c11 = b1.fma(s, c11);
            s = FloatVector.broadcast(SPECIES, a[ao + a2]);
            c20 = b0.fma(s, c20);
            c21 = b1.fma(s, c21);
            s = FloatVector.broadcast(SPECIES, a[ao + a3]);
            c30 = b0.fma(s, c30);
            c31 = b1.fma(s, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + v);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + v);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + v);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + v);
    }

    private static void tile1x2(float[] a, int ao, int ak, float[] b, int bo, int ldb,
                                float[] c, int co, int k, boolean acc) {
        final int v = LANES;
        FloatVector c0 = start(c, co, acc), c1 = start(c, co + v, acc);
        for (int p = 0; p < k; p++, ao += ak, bo += ldb) {
            FloatVector s = FloatVector.broadcast(SPECIES, a[ao]);
            c0 = FloatVector.fromArray(SPECIES, b, bo).fma(s, c0);
            c1 = FloatVector.fromArray(SPECIES, b, bo + v).fma(s, c1);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + v);
    }

    private static void tile4x1(float[] a, int ao, int am, int ak, float[] b, int bo, int ldb,
                                float[] c, int co, int ldc, int k, boolean acc) {
        FloatVector c0 = start(c, co, acc), c1 = start(c, co + ldc, acc);
        FloatVector c2 = start(c, co + 2 * ldc, acc), c3 = start(c, co + 3 * ldc, acc);
        int a1 = am, a2 = 2 * am, a3 = 3 * am;
        for (int p = 0; p < k; p++, ao += ak, bo += ldb) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bo);
            c0 = b0.fma(FloatVector.broadcast(SPECIES, a[ao]), c0);
            c1 = b0.fma(FloatVector.broadcast(SPECIES, a[ao + a1]), c1);
            c2 = b0.fma(FloatVector.broadcast(SPECIES, a[ao + a2]), c2);
            c3 = b0.fma(FloatVector.broadcast(SPECIES, a[ao + a3]), c3);
        }
        c0.intoArray(c, co);
        c1.intoArray(c, co + ldc);
        c2.intoArray(c, co + 2 * ldc);
        c3.intoArray(c, co + 3 * ldc);
    }

    private static void tile1x1(float[] a, int ao, int ak, float[] b, int bo, int ldb,
                                float[] c, int co, int k, boolean acc) {
        FloatVector c0 = start(c, co, acc);
        for (int p = 0; p < k; p++, ao += ak, bo += ldb)
            c0 = FloatVector.fromArray(SPECIES, b, bo).fma(FloatVector.broadcast(SPECIES, a[ao]), c0);
        c0.intoArray(c, co);
    }
}
