package flux2.tensor.cpu;

import flux2.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Product without packing, for few rows (matrix-vector-like products, bound by reading B) or tiny problems,
 * where packing would cost more than it saves. Rows of A go in groups of {@link #GROUP}, so that B is read
 * once per group: as dot products when its columns are contiguous (a transposed weight), as row updates when
 * its rows are, elementwise otherwise.
 */
final class GemmDirect {
    /** Rows computed together in one pass over B. */
    static final int GROUP = 4;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Multiply-adds below which the product runs on one thread. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Columns per thread at least, a multiple of the 16-column blocks of the row-update form. */
    private static final int COLUMN_GRAIN = 64;

    private GemmDirect() {}

    static void run(GemmArgs g) {
        int n = g.n();
        long work = (long) g.m() * n * g.k();
        long grain = n;
        int threads = Parallel.threads();
        if (work >= PARALLEL_WORK && threads > 1) {
            long per = (n + threads - 1) / threads;
            grain = Math.max(COLUMN_GRAIN, (per + 15) / 16 * 16);
        }
        Parallel.forRange(n, grain, (w, s, e) -> columns(g, (int) s, (int) e));
    }

    /** C[:, n0..n1) for every row, GROUP rows at a time. */
    private static void columns(GemmArgs g, int n0, int n1) {
        GemmScratch scratch = GemmScratch.get();
        int k = g.k(), width = n1 - n0;
        float[] a = scratch.stage(GROUP * k);
        float[] res = scratch.row(GROUP * width);
        for (int i0 = 0; i0 < g.m(); i0 += GROUP) {
            int rows = Math.min(GROUP, g.m() - i0);
            for (int r = 0; r < GROUP; r++) {
                if (r < rows) loadRow(g, i0 + r, a, r * k);
                else Arrays.fill(a, r * k, (r + 1) * k, 0f); // padding rows: computed, never written
            }
            if (g.bColumnsContiguous()) dots(g, a, n0, n1, res);
            else if (g.bRowsContiguous()) rowUpdates(g, a, n0, n1, res);
            else scalarColumns(g, a, n0, n0, n1, width, res);
            MemorySegment c = g.c();
            long cs = g.cColStride();
            boolean acc = g.accumulate();
            for (int r = 0; r < rows; r++) {
                long base = g.cRows()[i0 + r];
                for (int j = 0; j < width; j++) {
                    long off = base + (n0 + j) * cs;
                    float v = res[r * width + j];
                    c.set(F, off, acc ? c.get(F, off) + v : v);
                }
            }
        }
    }

    private static void loadRow(GemmArgs g, int i, float[] a, int at) {
        long base = g.aRows()[i], cs = g.aColStride();
        if (cs == 4) MemorySegment.copy(g.a(), F, base, a, at, g.k());
        else for (int p = 0; p < g.k(); p++) a[at + p] = g.a().get(F, base + p * cs);
    }

    /** res[r][j] = dot(a row r, B[:, n0 + j]) with B columns contiguous; each B vector feeds four rows. */
    private static void dots(GemmArgs g, float[] a, int n0, int n1, float[] res) {
        MemorySegment b = g.b();
        int k = g.k(), width = n1 - n0, k2 = 2 * k, k3 = 3 * k;
        boolean bf16 = g.bf16();
        for (int nn = n0; nn < n1; nn++) {
            long off = g.bAt(0, nn);
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            int p = 0;
            for (; p + 8 <= k; p += 8) {
                FloatVector bv = bf16 ? GemmPacking.widen8(b, off + 2L * p) : FloatVector.fromMemorySegment(S, b, off + 4L * p, LE);
                s0 = FloatVector.fromArray(S, a, p).fma(bv, s0);
                s1 = FloatVector.fromArray(S, a, k + p).fma(bv, s1);
                s2 = FloatVector.fromArray(S, a, k2 + p).fma(bv, s2);
                s3 = FloatVector.fromArray(S, a, k3 + p).fma(bv, s3);
            }
            float t0 = LaneSum.sum(s0), t1 = LaneSum.sum(s1);
            float t2 = LaneSum.sum(s2), t3 = LaneSum.sum(s3);
            for (; p < k; p++) {
                float bv = read(b, off + p * g.bRowStride(), bf16);
                t0 += a[p] * bv;
                t1 += a[k + p] * bv;
                t2 += a[k2 + p] * bv;
                t3 += a[k3 + p] * bv;
            }
            int j = nn - n0;
            res[j] = t0;
            res[width + j] = t1;
            res[2 * width + j] = t2;
            res[3 * width + j] = t3;
        }
    }

    /** res = a x B[:, n0..n1) with B rows contiguous: four rows x 16 columns in registers. */
    private static void rowUpdates(GemmArgs g, float[] a, int n0, int n1, float[] res) {
        MemorySegment b = g.b();
        int k = g.k(), width = n1 - n0;
        boolean bf16 = g.bf16();
        long rs = g.bRowStride();
        int nn = n0;
        for (; nn + 16 <= n1; nn += 16) {
            FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
            FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
            long off = g.bAt(0, nn);
            for (int p = 0; p < k; p++, off += rs) {
                FloatVector b0, b1;
                if (bf16) {
                    b0 = GemmPacking.widen8(b, off);
                    b1 = GemmPacking.widen8(b, off + 16);
                } else {
                    b0 = FloatVector.fromMemorySegment(S, b, off, LE);
                    b1 = FloatVector.fromMemorySegment(S, b, off + 32, LE);
                }
                FloatVector av = FloatVector.broadcast(S, a[p]);
                c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
                av = FloatVector.broadcast(S, a[k + p]);
                c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
                av = FloatVector.broadcast(S, a[2 * k + p]);
                c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
                av = FloatVector.broadcast(S, a[3 * k + p]);
                c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            }
            int d = nn - n0;
            c00.intoArray(res, d); c01.intoArray(res, d + 8);
            c10.intoArray(res, width + d); c11.intoArray(res, width + d + 8);
            c20.intoArray(res, 2 * width + d); c21.intoArray(res, 2 * width + d + 8);
            c30.intoArray(res, 3 * width + d); c31.intoArray(res, 3 * width + d + 8);
        }
        if (nn < n1) scalarColumns(g, a, n0, nn, n1, width, res);
    }

    /** res[r * width + nn - n0] = dot(a row r, B[:, nn]) for nn in [from, to), any strides. */
    private static void scalarColumns(GemmArgs g, float[] a, int n0, int from, int to, int width, float[] res) {
        MemorySegment b = g.b();
        boolean bf16 = g.bf16();
        int k = g.k();
        long rs = g.bRowStride();
        for (int nn = from; nn < to; nn++) {
            long off = g.bAt(0, nn);
            float t0 = 0f, t1 = 0f, t2 = 0f, t3 = 0f;
            for (int p = 0; p < k; p++, off += rs) {
                float bv = read(b, off, bf16);
                t0 += a[p] * bv;
                t1 += a[k + p] * bv;
                t2 += a[2 * k + p] * bv;
                t3 += a[3 * k + p] * bv;
            }
            int j = nn - n0;
            res[j] = t0;
            res[width + j] = t1;
            res[2 * width + j] = t2;
            res[3 * width + j] = t3;
        }
    }

    private static float read(MemorySegment b, long off, boolean bf16) {
        return bf16 ? GemmPacking.bf16(b.get(H, off)) : b.get(F, off);
    }
}
