package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs blocks of A and B into the panel layouts of a {@link GemmKernel}: A as mr-row panels stored k-major
 * ({@code kc x mr}), B as nr-column panels stored k-major ({@code kc x nr}), both zero-padded at the edges.
 * BF16 B is widened to F32 here, panel by panel, so a BF16 weight is never expanded as a whole.
 */
final class GemmPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    // Two-vector shuffles of transpose8 (negative indices pick lanes of the second vector): interleave single
    // floats, then pairs, within each 128-bit half; then join halves.
    private static final VectorShuffle<Float> LO32 = VectorShuffle.fromValues(S, 0, -8, 1, -7, 4, -4, 5, -3);
    private static final VectorShuffle<Float> HI32 = VectorShuffle.fromValues(S, 2, -6, 3, -5, 6, -2, 7, -1);
    private static final VectorShuffle<Float> LO64 = VectorShuffle.fromValues(S, 0, 1, -8, -7, 4, 5, -4, -3);
    private static final VectorShuffle<Float> HI64 = VectorShuffle.fromValues(S, 2, 3, -6, -5, 6, 7, -2, -1);
    private static final VectorShuffle<Float> LO128 = VectorShuffle.fromValues(S, 0, 1, 2, 3, -8, -7, -6, -5);
    private static final VectorShuffle<Float> HI128 = VectorShuffle.fromValues(S, 4, 5, 6, 7, -4, -3, -2, -1);

    private GemmPacking() {}

    /**
     * Packs A rows [row0, row0 + mc) x k [pc, pc + kc) into ap as ceil(mc / tileRows) panels of tileRows rows.
     * {@code stage} holds at least {@link #stageRows}(tileRows) x kc floats.
     */
    static void packA(GemmArgs g, int row0, int mc, int pc, int kc, int tileRows, float[] ap, float[] stage) {
        MemorySegment a = g.a();
        long[] rows = g.aRows();
        long cs = g.aColStride();
        final int t = tileRows;
        for (int p = 0; p * t < mc; p++) {
            int r0 = row0 + p * t, mr = Math.min(t, mc - p * t), dst = p * t * kc;
            if (cs == 4) {
                // Rows are contiguous: bulk-copy them, then interleave from the heap copy.
                for (int r = 0; r < mr; r++) MemorySegment.copy(a, F, rows[r0 + r] + pc * 4L, stage, r * kc, kc);
                if (mr == t) {
                    // 8x8 register transposes of 8 staged rows (those past t are scratch): each writes 8 floats
                    // per k at stride t, and the lanes past t are overwritten by the next k or by the group to
                    // the left, so the groups go right to left.
                    int k8 = kc / 8 * 8;
                    for (int k = 0; k < k8; k += 8)
                        for (int col = (t - 1) / 8 * 8; col >= 0; col -= 8) transpose8(stage, col * kc + k, kc, ap, dst + k * t + col, t);
                    for (int k = k8, d = dst + k8 * t; k < kc; k++, d += t)
                        for (int r = 0, s = k; r < t; r++, s += kc) ap[d + r] = stage[s];
                } else {
                    for (int k = 0, d = dst; k < kc; k++, d += t)
                        for (int r = 0; r < t; r++) ap[d + r] = r < mr ? stage[r * kc + k] : 0f;
                }
            } else if (mr == t && adjacent(rows, r0, t) && rows[r0] + (pc + kc - 1) * cs + 4L * roundUp8(t) <= a.byteSize()) {
                // A transposed (a weight gradient's dY^T): the panel's rows are adjacent floats, so each k is
                // one or two 8-float copies; lanes past t land in the next k's slots or the buffer's slack.
                for (int k = 0, d = dst; k < kc; k++, d += t) {
                    long off = rows[r0] + (pc + k) * cs;
                    FloatVector.fromMemorySegment(S, a, off, LE).intoArray(ap, d);
                    if (t > 8) FloatVector.fromMemorySegment(S, a, off + 32, LE).intoArray(ap, d + 8);
                }
            } else {
                for (int k = 0, d = dst; k < kc; k++, d += t) {
                    long kOff = (pc + k) * cs;
                    for (int r = 0; r < t; r++) ap[d + r] = r < mr ? a.get(F, rows[r0 + r] + kOff) : 0f;
                }
            }
        }
    }

    /** Rows of staging that {@link #packA} needs for panels of tileRows rows: whole groups of 8. */
    static int stageRows(int tileRows) { return roundUp8(tileRows); }

    /** Whether rows r0 .. r0 + t - 1 start one float apart. */
    private static boolean adjacent(long[] rows, int r0, int t) {
        for (int r = 1; r < t; r++) if (rows[r0 + r] != rows[r0] + 4L * r) return false;
        return true;
    }

    private static int roundUp8(int n) { return (n + 7) / 8 * 8; }

    /**
     * Packs B k [pc, pc + kc) x columns of panels [p0, p1) of the block starting at column jc with nc columns,
     * in panels of tileCols columns (a multiple of 8). Panel p lands at {@code bp[p * tileCols * kc]}.
     */
    static void packB(GemmArgs g, int pc, int kc, int jc, int nc, int p0, int p1, int tileCols, float[] bp, float[] stage) {
        final int t = tileCols;
        for (int p = p0; p < p1; p++) {
            int n0 = jc + p * t, nr = Math.min(t, jc + nc - n0), dst = p * t * kc;
            if (g.bRowsContiguous() && nr == t) packRowsFull(g, pc, kc, n0, t, bp, dst);
            else if (g.bColumnsContiguous()) packColumns(g, pc, kc, n0, nr, t, bp, dst, stage);
            else packScalar(g, pc, kc, n0, nr, t, bp, dst);
        }
    }

    /** B rows contiguous along n: each k contributes t / 8 vectors. */
    private static void packRowsFull(GemmArgs g, int pc, int kc, int n0, int t, float[] bp, int dst) {
        MemorySegment b = g.b();
        long off = g.bAt(pc, n0), step = g.bRowStride();
        if (g.bf16()) {
            for (int k = 0, d = dst; k < kc; k++, d += t, off += step)
                for (int j = 0; j < t; j += 8) widen8(b, off + 2L * j, bp, d + j);
        } else {
            for (int k = 0, d = dst; k < kc; k++, d += t, off += step)
                for (int j = 0; j < t; j += 8) FloatVector.fromMemorySegment(S, b, off + 4L * j, LE).intoArray(bp, d + j);
        }
    }

    /** B columns contiguous along k (a transposed weight): stage each column, then transpose into the panel. */
    private static void packColumns(GemmArgs g, int pc, int kc, int n0, int nr, int t, float[] bp, int dst, float[] stage) {
        MemorySegment b = g.b();
        for (int j = 0; j < nr; j++) {
            long off = g.bAt(pc, n0 + j);
            if (g.bf16()) widen(b, off, stage, j * kc, kc);
            else MemorySegment.copy(b, F, off, stage, j * kc, kc);
        }
        if (nr == t) {
            int k8 = kc / 8 * 8;
            for (int j0 = 0; j0 < t; j0 += 8)
                for (int k = 0; k < k8; k += 8) transpose8(stage, j0 * kc + k, kc, bp, dst + k * t + j0, t);
            for (int k = k8, d = dst + k8 * t; k < kc; k++, d += t)
                for (int j = 0, s = k; j < t; j++, s += kc) bp[d + j] = stage[s];
        } else {
            for (int k = 0, d = dst; k < kc; k++, d += t)
                for (int j = 0; j < t; j++) bp[d + j] = j < nr ? stage[j * kc + k] : 0f;
        }
    }

    /**
     * dst[di + r*ld + c] = src[si + c*ls + r] for r, c < 8: an 8x8 block transposed in registers, in three rounds
     * of two-vector shuffles (pairs of floats, then pairs of pairs, then halves). About twice as fast as a
     * scalar loop on Zen 3 (0.42 against 0.80 ns per float).
     */
    private static void transpose8(float[] src, int si, int ls, float[] dst, int di, int ld) {
        FloatVector r0 = FloatVector.fromArray(S, src, si), r1 = FloatVector.fromArray(S, src, si + ls);
        FloatVector r2 = FloatVector.fromArray(S, src, si + 2 * ls), r3 = FloatVector.fromArray(S, src, si + 3 * ls);
        FloatVector r4 = FloatVector.fromArray(S, src, si + 4 * ls), r5 = FloatVector.fromArray(S, src, si + 5 * ls);
        FloatVector r6 = FloatVector.fromArray(S, src, si + 6 * ls), r7 = FloatVector.fromArray(S, src, si + 7 * ls);
        FloatVector t0 = r0.rearrange(LO32, r1), t1 = r0.rearrange(HI32, r1), t2 = r2.rearrange(LO32, r3), t3 = r2.rearrange(HI32, r3);
        FloatVector t4 = r4.rearrange(LO32, r5), t5 = r4.rearrange(HI32, r5), t6 = r6.rearrange(LO32, r7), t7 = r6.rearrange(HI32, r7);
        FloatVector u0 = t0.rearrange(LO64, t2), u1 = t0.rearrange(HI64, t2), u2 = t1.rearrange(LO64, t3), u3 = t1.rearrange(HI64, t3);
        FloatVector u4 = t4.rearrange(LO64, t6), u5 = t4.rearrange(HI64, t6), u6 = t5.rearrange(LO64, t7), u7 = t5.rearrange(HI64, t7);
        u0.rearrange(LO128, u4).intoArray(dst, di);
        u1.rearrange(LO128, u5).intoArray(dst, di + ld);
        u2.rearrange(LO128, u6).intoArray(dst, di + 2 * ld);
        u3.rearrange(LO128, u7).intoArray(dst, di + 3 * ld);
        u0.rearrange(HI128, u4).intoArray(dst, di + 4 * ld);
        u1.rearrange(HI128, u5).intoArray(dst, di + 5 * ld);
        u2.rearrange(HI128, u6).intoArray(dst, di + 6 * ld);
        u3.rearrange(HI128, u7).intoArray(dst, di + 7 * ld);
    }

    /** Any other layout, and ragged edges of row-contiguous B. */
    private static void packScalar(GemmArgs g, int pc, int kc, int n0, int nr, int t, float[] bp, int dst) {
        MemorySegment b = g.b();
        boolean bf16 = g.bf16();
        for (int k = 0, d = dst; k < kc; k++, d += t) {
            for (int j = 0; j < t; j++) {
                if (j >= nr) { bp[d + j] = 0f; continue; }
                long off = g.bAt(pc + k, n0 + j);
                bp[d + j] = bf16 ? bf16(b.get(H, off)) : b.get(F, off);
            }
        }
    }

    /** Widens len BF16 values at byte offset off into dst[di...]. */
    static void widen(MemorySegment src, long off, float[] dst, int di, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) widen8(src, off + 2L * i, dst, di + i);
        for (; i < len; i++) dst[di + i] = bf16(src.get(H, off + 2L * i));
    }

    /**
     * Eight BF16 values to F32 with vectors. S2I sign-extends, and the shift by 16 pushes the extension out,
     * so the result is exact.
     */
    static FloatVector widen8(MemorySegment src, long off) {
        ShortVector sv = ShortVector.fromMemorySegment(ShortVector.SPECIES_128, src, off, LE);
        IntVector iv = (IntVector) sv.convertShape(VectorOperators.S2I, IntVector.SPECIES_256, 0);
        return iv.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static void widen8(MemorySegment src, long off, float[] dst, int di) {
        widen8(src, off).intoArray(dst, di);
    }

    static float bf16(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }
}
