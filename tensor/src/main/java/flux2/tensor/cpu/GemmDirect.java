package flux2.tensor.cpu;

import flux2.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Product without packing, one row of A at a time, for few rows (a matrix-vector product) or tiny problems,
 * where packing would cost more than it saves. B is read in place: as dot products when its columns are
 * contiguous (a transposed weight), as row updates when its rows are, elementwise otherwise.
 */
final class GemmDirect {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Multiply-adds below which the product runs on one thread. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Columns per thread at least, a multiple of the 32-column blocks of the row-update form. */
    private static final int COLUMN_GRAIN = 64;

    private GemmDirect() {}

    static void run(GemmArgs g) {
        int n = g.n();
        long work = (long) g.m() * n * g.k();
        long grain = n;
        if (work >= PARALLEL_WORK && Parallel.threads() > 1) {
            long per = (n + Parallel.threads() - 1) / Parallel.threads();
            grain = Math.max(COLUMN_GRAIN, (per + 31) / 32 * 32);
        }
        Parallel.forRange(n, grain, (w, s, e) -> columns(g, (int) s, (int) e));
    }

    /** C[:, n0..n1) for every row. */
    private static void columns(GemmArgs g, int n0, int n1) {
        GemmScratch scratch = GemmScratch.get();
        int k = g.k(), width = n1 - n0;
        float[] aRow = scratch.stage(k);
        float[] res = scratch.row(width);
        for (int i = 0; i < g.m(); i++) {
            loadRow(g, i, aRow);
            if (g.bColumnsContiguous()) dots(g, aRow, n0, n1, res);
            else if (g.bRowsContiguous()) rowUpdates(g, aRow, n0, n1, res);
            else scalar(g, aRow, n0, n1, res);
            MemorySegment c = g.c();
            long base = g.cRows()[i], cs = g.cColStride();
            boolean acc = g.accumulate();
            for (int j = 0; j < width; j++) {
                long off = base + (n0 + j) * cs;
                c.set(F, off, acc ? c.get(F, off) + res[j] : res[j]);
            }
        }
    }

    private static void loadRow(GemmArgs g, int i, float[] aRow) {
        long base = g.aRows()[i], cs = g.aColStride();
        if (cs == 4) MemorySegment.copy(g.a(), F, base, aRow, 0, g.k());
        else for (int p = 0; p < g.k(); p++) aRow[p] = g.a().get(F, base + p * cs);
    }

    /** res[j] = dot(aRow, B[:, n0 + j]) with B columns contiguous. */
    private static void dots(GemmArgs g, float[] aRow, int n0, int n1, float[] res) {
        MemorySegment b = g.b();
        int k = g.k();
        boolean bf16 = g.bf16();
        for (int nn = n0; nn < n1; nn++) {
            long off = g.bAt(0, nn);
            FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
            int p = 0;
            if (bf16) {
                for (; p + 16 <= k; p += 16) {
                    acc0 = FloatVector.fromArray(S, aRow, p).fma(GemmPacking.widen8(b, off + 2L * p), acc0);
                    acc1 = FloatVector.fromArray(S, aRow, p + 8).fma(GemmPacking.widen8(b, off + 2L * p + 16), acc1);
                }
            } else {
                for (; p + 16 <= k; p += 16) {
                    acc0 = FloatVector.fromArray(S, aRow, p).fma(FloatVector.fromMemorySegment(S, b, off + 4L * p, LE), acc0);
                    acc1 = FloatVector.fromArray(S, aRow, p + 8).fma(FloatVector.fromMemorySegment(S, b, off + 4L * p + 32, LE), acc1);
                }
            }
            float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
            for (; p < k; p++) sum += aRow[p] * read(b, off + p * g.bRowStride(), bf16);
            res[nn - n0] = sum;
        }
    }

    /** res = aRow x B[:, n0..n1) with B rows contiguous: 32 columns at a time in registers. */
    private static void rowUpdates(GemmArgs g, float[] aRow, int n0, int n1, float[] res) {
        MemorySegment b = g.b();
        int k = g.k();
        boolean bf16 = g.bf16();
        long rs = g.bRowStride();
        int nn = n0;
        for (; nn + 32 <= n1; nn += 32) {
            FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
            long off = g.bAt(0, nn);
            for (int p = 0; p < k; p++, off += rs) {
                FloatVector av = FloatVector.broadcast(S, aRow[p]);
                if (bf16) {
                    c0 = av.fma(GemmPacking.widen8(b, off), c0);
                    c1 = av.fma(GemmPacking.widen8(b, off + 16), c1);
                    c2 = av.fma(GemmPacking.widen8(b, off + 32), c2);
                    c3 = av.fma(GemmPacking.widen8(b, off + 48), c3);
                } else {
                    c0 = av.fma(FloatVector.fromMemorySegment(S, b, off, LE), c0);
                    c1 = av.fma(FloatVector.fromMemorySegment(S, b, off + 32, LE), c1);
                    c2 = av.fma(FloatVector.fromMemorySegment(S, b, off + 64, LE), c2);
                    c3 = av.fma(FloatVector.fromMemorySegment(S, b, off + 96, LE), c3);
                }
            }
            int d = nn - n0;
            c0.intoArray(res, d);
            c1.intoArray(res, d + 8);
            c2.intoArray(res, d + 16);
            c3.intoArray(res, d + 24);
        }
        if (nn < n1) scalarColumns(g, aRow, nn, n1, res, n0);
    }

    private static void scalar(GemmArgs g, float[] aRow, int n0, int n1, float[] res) {
        scalarColumns(g, aRow, n0, n1, res, n0);
    }

    /** res[nn - resBase] = dot(aRow, B[:, nn]) for nn in [from, to), any strides. */
    private static void scalarColumns(GemmArgs g, float[] aRow, int from, int to, float[] res, int resBase) {
        MemorySegment b = g.b();
        boolean bf16 = g.bf16();
        long rs = g.bRowStride();
        for (int nn = from; nn < to; nn++) {
            long off = g.bAt(0, nn);
            float sum = 0f;
            for (int p = 0; p < g.k(); p++, off += rs) sum += aRow[p] * read(b, off, bf16);
            res[nn - resBase] = sum;
        }
    }

    private static float read(MemorySegment b, long off, boolean bf16) {
        return bf16 ? GemmPacking.bf16(b.get(H, off)) : b.get(F, off);
    }
}
