package flux2.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Small dense products on heap blocks for the attention kernels: C[m x n] (+)= A[m x k] B[k x n].
 *
 * <p>B is row-major with n contiguous floats per row; A is read through arbitrary strides, so a transposed A
 * costs nothing. This lets every product in the attention forward and backward avoid per-block transposes.
 * n must be a multiple of {@link #LANES} (callers pad their blocks).
 *
 * <p>Both operands are copied into the panel layout of the machine's {@link GemmKernel}, which then does the
 * products: B and a transposed A (am = 1) with vector copies, any other A with a scalar transpose. Measured on
 * Zen 3 with the attention blocks (64 x 64 x 128 and 64 x 128 x 64): 1.3-1.45x the rate of register tiles
 * that read A in place, the transposing case included (its copy costs 15-30% of the product there).
 */
final class BlockGemm {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    /** Packing and tile moves use 8-float vectors: native on AVX2 and AVX-512 alike, and every width divides by 8. */
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final int V8 = 8;

    private BlockGemm() {}

    /** n rounded up to a whole number of vectors. */
    static int padded(int n) { return (n + LANES - 1) / LANES * LANES; }

    /**
     * C[i, x] = (accumulate ? C[i, x] : 0) + sum_p A[i, p] B[p, x] for i < m, x < n, p < k, where
     * A[i, p] = a[aOff + i*am + p*ak], B[p, x] = b[bOff + p*ldb + x] and C[i, x] = c[cOff + i*ldc + x].
     */
    static void gemm(float[] a, int aOff, int am, int ak, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate) {
        gemm(a, aOff, am, ak, b, bOff, ldb, c, cOff, ldc, m, n, k, accumulate, GemmKernel.PREFERRED);
    }

    /** As the other {@code gemm}, with the packed path running {@code kernel}. */
    static void gemm(float[] a, int aOff, int am, int ak, float[] b, int bOff, int ldb,
                     float[] c, int cOff, int ldc, int m, int n, int k, boolean accumulate, GemmKernel kernel) {
        if (n % LANES != 0) throw new IllegalArgumentException("gemm width " + n + " is not a multiple of " + LANES);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
            return;
        }
        final int mr = kernel.mr, nr = kernel.nr;
        int rowPanels = (m + mr - 1) / mr, colPanels = (n + nr - 1) / nr;
        GemmScratch scratch = GemmScratch.get();
        float[] ap = scratch.blockA(rowPanels * mr * k), bp = scratch.blockB(colPanels * nr * k), tile = scratch.tile;
        if (am == 1) packA(a, aOff, ak, m, k, mr, ap);
        else packRowsA(a, aOff, am, ak, m, k, mr, ap);
        packB(b, bOff, ldb, n, k, nr, bp);
        // Column panels outer: one B panel (k x nr) stays in L1 while the A panels stream past.
        for (int px = 0; px < colPanels; px++) {
            int x0 = px * nr, cols = Math.min(nr, n - x0);
            for (int pi = 0; pi < rowPanels; pi++) {
                int i0 = pi * mr;
                kernel.kernel(k, ap, i0 * k, bp, x0 * k, tile);
                addTile(tile, nr, c, cOff + i0 * ldc + x0, ldc, Math.min(mr, m - i0), cols, accumulate);
            }
        }
    }

    /**
     * A (rows adjacent, A[i, p] = a[off + i + p*ak]) into mr-row panels, k-major, zero-padded. A full panel
     * takes one or two 8-float copies per p; the lanes past mr land in the next p's slots (overwritten by
     * it) or in the buffer's slack, and reading them needs the source to extend that far.
     */
    private static void packA(float[] a, int off, int ak, int m, int k, int mr, float[] ap) {
        for (int i0 = 0, dst = 0; i0 < m; i0 += mr, dst += mr * k) {
            int rows = Math.min(mr, m - i0), src = off + i0;
            boolean vector = rows == mr && src + (long) (k - 1) * ak + 2 * V8 <= a.length;
            if (vector && mr <= V8) {
                for (int p = 0, d = dst, s = src; p < k; p++, d += mr, s += ak) FloatVector.fromArray(S8, a, s).intoArray(ap, d);
            } else if (vector && mr <= 2 * V8) {
                for (int p = 0, d = dst, s = src; p < k; p++, d += mr, s += ak) {
                    FloatVector.fromArray(S8, a, s).intoArray(ap, d);
                    FloatVector.fromArray(S8, a, s + V8).intoArray(ap, d + V8);
                }
            } else {
                for (int p = 0, d = dst, s = src; p < k; p++, d += mr, s += ak)
                    for (int r = 0; r < mr; r++) ap[d + r] = r < rows ? a[s + r] : 0f;
            }
        }
    }

    /** Any other A into mr-row panels: a scalar transpose, unrolled for the usual rows-contiguous 6-row panel. */
    private static void packRowsA(float[] a, int off, int am, int ak, int m, int k, int mr, float[] ap) {
        for (int i0 = 0, dst = 0; i0 < m; i0 += mr, dst += mr * k) {
            int rows = Math.min(mr, m - i0), s0 = off + i0 * am;
            if (rows == 6 && mr == 6 && ak == 1) {
                int s1 = s0 + am, s2 = s1 + am, s3 = s2 + am, s4 = s3 + am, s5 = s4 + am;
                for (int p = 0, d = dst; p < k; p++, d += 6) {
                    ap[d] = a[s0 + p];
                    ap[d + 1] = a[s1 + p];
                    ap[d + 2] = a[s2 + p];
                    ap[d + 3] = a[s3 + p];
                    ap[d + 4] = a[s4 + p];
                    ap[d + 5] = a[s5 + p];
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    if (r < rows) for (int p = 0, d = dst + r, s = s0 + r * am; p < k; p++, d += mr, s += ak) ap[d] = a[s];
                    else for (int p = 0, d = dst + r; p < k; p++, d += mr) ap[d] = 0f;
                }
            }
        }
    }

    /** B (row-major, n a multiple of 8) into nr-column panels, k-major, zero-padded: 8-float copies. */
    private static void packB(float[] b, int off, int ldb, int n, int k, int nr, float[] bp) {
        for (int x0 = 0, dst = 0; x0 < n; x0 += nr, dst += nr * k) {
            int cols = Math.min(nr, n - x0);
            for (int p = 0, d = dst, s = off + x0; p < k; p++, d += nr, s += ldb) {
                int j = 0;
                for (; j < cols; j += V8) FloatVector.fromArray(S8, b, s + j).intoArray(bp, d + j);
                for (; j < nr; j++) bp[d + j] = 0f;
            }
        }
    }

    /** C[r, j] (+)= tile[r * nr + j] for r < rows, j < cols (a multiple of 8). */
    private static void addTile(float[] tile, int nr, float[] c, int co, int ldc, int rows, int cols, boolean accumulate) {
        for (int r = 0; r < rows; r++, co += ldc) {
            int t = r * nr;
            if (accumulate) {
                for (int j = 0; j < cols; j += V8)
                    FloatVector.fromArray(S8, tile, t + j).add(FloatVector.fromArray(S8, c, co + j)).intoArray(c, co + j);
            } else {
                for (int j = 0; j < cols; j += V8) FloatVector.fromArray(S8, tile, t + j).intoArray(c, co + j);
            }
        }
    }

}
