package flux2.tensor.cpu;

import static flux2.tensor.cpu.GemmKernel.MR;
import static flux2.tensor.cpu.GemmKernel.NR;

import flux2.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cache-blocked product (GotoBLAS/BLIS loop order): columns in blocks of nc, k in blocks of kc (B block
 * packed once and shared by all threads), rows in blocks of at most mc (A block packed per thread), then
 * NR-column and MR-row micro-panels fed to {@link GemmKernel}. A B micro-panel (kc x 16 floats) stays in L1,
 * an A block in L2 and the packed B block in L3. Threads claim packing and compute units dynamically, so a
 * thread slowed down by other load on the machine does not hold up the others.
 */
final class GemmBlocked {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Below this many multiply-adds a phase runs on one thread: waking the pool costs more than it saves. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Floats of B in one packing unit. */
    private static final int PACK_GRAIN = 1 << 14;

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
        run(g, bl, null);
    }

    /** As {@link #run(GemmArgs, Blocking)}; a non-null {@code source} fills the B panels instead of g's B. */
    static void run(GemmArgs g, Blocking bl, GemmPanels.PanelSource source) {
        int m = g.m(), n = g.n(), k = g.k();
        int threads = Parallel.inParallelRegion() ? 1 : Parallel.threads();
        int team = threads > 1 && (long) m * n * k >= PARALLEL_WORK ? threads : 1;
        // Split rows when every thread gets at least two MR panels; otherwise split the B panels.
        boolean splitRows = ceilDiv(m, MR) >= 2L * team;
        // About four units per thread: a thread that the OS preempts leaves its units to the others.
        int rowUnit = Math.min(bl.mc(), Math.max(8 * MR, ceilDiv(ceilDiv(m, 4 * team), MR) * MR));
        int ncMax = Math.min(bl.nc(), ceilDiv(n, NR) * NR), kcMax = Math.min(bl.kc(), k);
        float[] bp = GemmScratch.get().bPack(ncMax * kcMax);
        for (int jc = 0; jc < n; jc += bl.nc()) {
            final int jcf = jc, nc = Math.min(bl.nc(), n - jc), panels = ceilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += bl.kc()) {
                final int pcf = pc, kc = Math.min(bl.kc(), k - pc);
                final boolean load = g.accumulate() || pc > 0;
                int packUnit = Math.max(1, PACK_GRAIN / (NR * kc));
                onTeam(team, ceilDiv(panels, packUnit), u -> {
                    int p0 = u * packUnit, p1 = Math.min(panels, (u + 1) * packUnit);
                    float[] stage = GemmScratch.get().stage(NR * kc);
                    if (source == null) GemmPacking.packB(g, pcf, kc, jcf, nc, p0, p1, bp, stage);
                    else for (int p = p0; p < p1; p++)
                        source.fill(pcf, kc, jcf + p * NR, Math.min(NR, nc - p * NR), bp, p * NR * kc, stage);
                });
                if (splitRows) {
                    onTeam(team, ceilDiv(m, rowUnit), u -> compute(g, bl, bp, u * rowUnit, Math.min(m, (u + 1) * rowUnit),
                            0, panels, jcf, nc, pcf, kc, load));
                } else {
                    int panelUnit = ceilDiv(panels, 4 * team);
                    onTeam(team, ceilDiv(panels, panelUnit), u -> compute(g, bl, bp, 0, m, u * panelUnit,
                            Math.min(panels, (u + 1) * panelUnit), jcf, nc, pcf, kc, load));
                }
            }
        }
    }

    /** Work unit number u of a phase. */
    @FunctionalInterface
    private interface Unit { void run(int u); }

    /** Runs units [0, count) on up to {@code team} threads, each claiming the next unit until none is left. */
    private static void onTeam(int team, int count, Unit unit) {
        if (team <= 1 || count <= 1) {
            for (int u = 0; u < count; u++) unit.run(u);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(team, count), 1, (w, s, e) -> {
            for (int u = next.getAndIncrement(); u < count; u = next.getAndIncrement()) unit.run(u);
        });
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
        float[] tile = scratch.tile;
        float sink = 0;
        for (int ic = r0; ic < r1; ic += bl.mc()) {
            int mc = Math.min(bl.mc(), r1 - ic);
            GemmPacking.packA(g, ic, mc, pc, kc, ap, stage);
            for (int p = p0; p < p1; p++) {
                int n0 = p * NR, nr = Math.min(NR, nc - n0), bo = p * NR * kc;
                for (int ir = 0; ir < mc; ir += MR) {
                    int mr = Math.min(MR, mc - ir), ao = ir * kc;
                    boolean full = direct && mr == MR && nr == NR;
                    // Touch the C tile first, so that its cache misses overlap the kernel instead of following it.
                    if (full && load) sink += GemmKernel.touchTile(c, cRows, ic + ir, (jc + n0) * 4L);
                    GemmKernel.kernel(kc, ap, ao, bp, bo, tile);
                    if (full) GemmKernel.addTile(tile, c, cRows, ic + ir, (jc + n0) * 4L, load);
                    else storeTile(g, tile, ic + ir, mr, jc + n0, nr, load);
                }
            }
        }
        scratch.sink = sink; // keeps the touches alive
    }

    /** Adds or stores the valid mr x nr corner of the tile into C, for edges and C with strided rows. */
    private static void storeTile(GemmArgs g, float[] tile, int row, int mr, int col, int nr, boolean load) {
        MemorySegment c = g.c();
        long cs = g.cColStride();
        for (int r = 0; r < mr; r++) {
            long base = g.cRows()[row + r] + col * cs;
            for (int j = 0; j < nr; j++) {
                long off = base + j * cs;
                float v = tile[r * NR + j];
                c.set(F, off, load ? c.get(F, off) + v : v);
            }
        }
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
