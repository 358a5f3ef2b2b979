package flux2.tensor.cpu;

import static flux2.tensor.cpu.GemmKernel.MR;
import static flux2.tensor.cpu.GemmKernel.NR;

import flux2.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The cache-blocked product (GotoBLAS/BLIS loop order): columns in blocks of nc, k in blocks of kc (B block
 * packed once and shared by all threads), rows in blocks of mc (A block packed per thread), then NR-column
 * and MR-row micro-panels fed to {@link GemmKernel}. A B micro-panel (kc x 16 floats) stays in L1 and an A
 * block in L2; the packed B block lives in L3.
 */
final class GemmBlocked {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Below this many multiply-adds a phase runs on one thread: waking the pool costs more than it saves. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Floats of B packed per thread at least before packing is split across threads. */
    private static final int PACK_GRAIN = 1 << 16;

    /** Block sizes: mc a multiple of MR, nc a multiple of NR. */
    record Blocking(int mc, int kc, int nc) {
        /** Measured best on AVX2 (Zen 3): A block 144 KiB in L2, B micro-panel 16 KiB in L1. */
        static final Blocking DEFAULT = new Blocking(144, 256, 4080);

        Blocking {
            if (mc <= 0 || mc % MR != 0 || kc <= 0 || nc <= 0 || nc % NR != 0)
                throw new IllegalArgumentException("blocking needs mc > 0 a multiple of " + MR + ", kc > 0, nc > 0 a multiple of "
                        + NR + "; got mc=" + mc + " kc=" + kc + " nc=" + nc);
        }
    }

    private GemmBlocked() {}

    static void run(GemmArgs g, Blocking bl) {
        int m = g.m(), n = g.n(), k = g.k();
        int threads = Parallel.inParallelRegion() ? 1 : Parallel.threads();
        boolean parallel = threads > 1 && (long) m * n * k >= PARALLEL_WORK;
        // Split rows when every thread gets at least two MR panels; otherwise split the B panels.
        boolean splitRows = ceilDiv(m, MR) >= 2L * threads;
        int ncMax = Math.min(bl.nc(), ceilDiv(n, NR) * NR), kcMax = Math.min(bl.kc(), k);
        float[] bp = GemmScratch.get().bPack(ncMax * kcMax);
        for (int jc = 0; jc < n; jc += bl.nc()) {
            final int jcf = jc, nc = Math.min(bl.nc(), n - jc), panels = ceilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += bl.kc()) {
                final int pcf = pc, kc = Math.min(bl.kc(), k - pc);
                final boolean load = g.accumulate() || pc > 0;
                long packGrain = parallel ? Math.max(1, PACK_GRAIN / ((long) NR * kc)) : panels;
                Parallel.forRange(panels, packGrain, (w, s, e) ->
                        GemmPacking.packB(g, pcf, kc, jcf, nc, (int) s, (int) e, bp, GemmScratch.get().stage(NR * kc)));
                if (!parallel) {
                    compute(g, bl, bp, 0, m, 0, panels, jcf, nc, pcf, kc, load);
                } else if (splitRows) {
                    Parallel.forRange(m, MR, (w, s, e) -> compute(g, bl, bp, (int) s, (int) e, 0, panels, jcf, nc, pcf, kc, load));
                } else {
                    Parallel.forRange(panels, 1, (w, s, e) -> compute(g, bl, bp, 0, m, (int) s, (int) e, jcf, nc, pcf, kc, load));
                }
            }
        }
    }

    /** Rows [r0, r1) x B panels [p0, p1) of the current (jc, pc) block; packs its own A blocks. */
    private static void compute(GemmArgs g, Blocking bl, float[] bp, int r0, int r1, int p0, int p1,
                                int jc, int nc, int pc, int kc, boolean load) {
        GemmScratch scratch = GemmScratch.get();
        int mcMax = Math.min(bl.mc(), ceilDiv(r1 - r0, MR) * MR);
        float[] ap = scratch.aPack(mcMax * kc);
        float[] stage = scratch.stage(MR * kc);
        MemorySegment c = g.c();
        long[] cRows = g.cRows();
        boolean direct = g.cRowsContiguous();
        for (int ic = r0; ic < r1; ic += bl.mc()) {
            int mc = Math.min(bl.mc(), r1 - ic);
            GemmPacking.packA(g, ic, mc, pc, kc, ap, stage);
            for (int p = p0; p < p1; p++) {
                int n0 = p * NR, nr = Math.min(NR, nc - n0), bo = p * NR * kc;
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir), ao = ir * kc;
                    if (direct && mr == MR && nr == NR) {
                        GemmKernel.kernel(kc, ap, ao, bp, bo, c, cRows, ic + ir, (jc + n0) * 4L, load);
                    } else {
                        GemmKernel.kernel(kc, ap, ao, bp, bo, scratch.tile, GemmScratch.TILE_ROWS, 0, 0, false);
                        storeTile(g, scratch.tile, ic + ir, mr, jc + n0, nr, load);
                    }
                }
            }
        }
    }

    /** Adds or stores the valid mr x nr corner of the scratch tile into C. */
    private static void storeTile(GemmArgs g, MemorySegment tile, int row, int mr, int col, int nr, boolean load) {
        MemorySegment c = g.c();
        long cs = g.cColStride();
        for (int r = 0; r < mr; r++) {
            long base = g.cRows()[row + r] + col * cs;
            for (int j = 0; j < nr; j++) {
                long off = base + j * cs;
                float v = tile.get(F, r * 64L + j * 4L);
                c.set(F, off, load ? c.get(F, off) + v : v);
            }
        }
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
