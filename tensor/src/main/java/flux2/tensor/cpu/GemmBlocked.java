package flux2.tensor.cpu;

import flux2.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cache-blocked product (GotoBLAS/BLIS loop order): columns in blocks of nc, k in blocks of kc (B block
 * packed once and shared by all threads), rows in blocks of at most mc (A block packed per thread), then
 * nr-column and mr-row micro-panels fed to a {@link GemmKernel}. A B micro-panel (kc x nr floats) stays in
 * L1, an A block in L2 and the packed B block in L3. Threads claim packing and compute units dynamically, so a
 * thread slowed down by other load on the machine does not hold up the others.
 */
final class GemmBlocked {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Below this many multiply-adds a phase runs on one thread: waking the pool costs more than it saves. */
    private static final long PARALLEL_WORK = 1L << 18;
    /** Floats of B in one packing unit. */
    private static final int PACK_GRAIN = 1 << 14;

    /** Block sizes for one kernel: mc a multiple of its mr, nc a multiple of its nr. */
    record Blocking(GemmKernel kernel, int mc, int kc, int nc) {
        Blocking {
            if (mc <= 0 || mc % kernel.mr != 0 || kc <= 0 || nc <= 0 || nc % kernel.nr != 0)
                throw new IllegalArgumentException("blocking for the " + kernel + " kernel needs mc > 0 a multiple of " + kernel.mr
                        + ", kc > 0, nc > 0 a multiple of " + kernel.nr + "; got mc=" + mc + " kc=" + kc + " nc=" + nc);
        }

        /** The blocking of the kernel for this machine's vector width. */
        static Blocking preferred() { return GemmKernel.PREFERRED.blocking; }
    }

    private GemmBlocked() {}

    static void run(GemmArgs g, Blocking bl) {
        run(g, bl, null);
    }

    /** As {@link #run(GemmArgs, Blocking)}; a non-null {@code source} fills the B panels instead of g's B. */
    static void run(GemmArgs g, Blocking bl, GemmPanels.PanelSource source) {
        int m = g.m(), n = g.n(), k = g.k();
        final int tileRows = bl.kernel().mr, tileCols = bl.kernel().nr;
        int threads = Parallel.inParallelRegion() ? 1 : Parallel.threads();
        int team = threads > 1 && (long) m * n * k >= PARALLEL_WORK ? threads : 1;
        // Split rows when every thread gets at least two row panels; otherwise split the B panels.
        boolean splitRows = ceilDiv(m, tileRows) >= 2L * team;
        // About four units per thread: a thread that the OS preempts leaves its units to the others.
        int rowUnit = Math.min(bl.mc(), Math.max(8 * tileRows, ceilDiv(ceilDiv(m, 4 * team), tileRows) * tileRows));
        int ncMax = Math.min(bl.nc(), ceilDiv(n, tileCols) * tileCols), kcMax = Math.min(bl.kc(), k);
        float[] bp = GemmScratch.get().bPack(ncMax * kcMax);
        for (int jc = 0; jc < n; jc += bl.nc()) {
            final int jcf = jc, nc = Math.min(bl.nc(), n - jc), panels = ceilDiv(nc, tileCols);
            for (int pc = 0; pc < k; pc += bl.kc()) {
                final int pcf = pc, kc = Math.min(bl.kc(), k - pc);
                final boolean load = g.accumulate() || pc > 0;
                int packUnit = Math.max(1, PACK_GRAIN / (tileCols * kc));
                onTeam(team, ceilDiv(panels, packUnit), u -> {
                    int p0 = u * packUnit, p1 = Math.min(panels, (u + 1) * packUnit);
                    float[] stage = GemmScratch.get().stage(tileCols * kc);
                    if (source == null) GemmPacking.packB(g, pcf, kc, jcf, nc, p0, p1, tileCols, bp, stage);
                    else for (int p = p0; p < p1; p++)
                        source.fill(pcf, kc, jcf + p * tileCols, Math.min(tileCols, nc - p * tileCols), bp, p * tileCols * kc, stage);
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
        GemmKernel kernel = bl.kernel();
        final int tileRows = kernel.mr, tileCols = kernel.nr;
        GemmScratch scratch = GemmScratch.get();
        int mcMax = Math.min(bl.mc(), ceilDiv(r1 - r0, tileRows) * tileRows);
        float[] ap = scratch.aPack(mcMax * kc);
        float[] stage = scratch.stage(GemmPacking.stageRows(tileRows) * kc);
        MemorySegment c = g.c();
        long[] cRows = g.cRows();
        boolean direct = g.cRowsContiguous();
        float[] tile = scratch.tile;
        float sink = 0;
        for (int ic = r0; ic < r1; ic += bl.mc()) {
            int mc = Math.min(bl.mc(), r1 - ic);
            GemmPacking.packA(g, ic, mc, pc, kc, tileRows, ap, stage);
            for (int p = p0; p < p1; p++) {
                int n0 = p * tileCols, nr = Math.min(tileCols, nc - n0), bo = p * tileCols * kc;
                for (int ir = 0; ir < mc; ir += tileRows) {
                    int mr = Math.min(tileRows, mc - ir), ao = ir * kc;
                    boolean full = direct && mr == tileRows && nr == tileCols;
                    // Touch the C tile first, so that its cache misses overlap the kernel instead of following it.
                    if (full && load) sink += kernel.touchTile(c, cRows, ic + ir, (jc + n0) * 4L);
                    kernel.kernel(kc, ap, ao, bp, bo, tile);
                    if (full) kernel.addTile(tile, c, cRows, ic + ir, (jc + n0) * 4L, load);
                    else storeTile(g, tile, tileCols, ic + ir, mr, jc + n0, nr, load);
                }
            }
        }
        scratch.sink = sink; // keeps the touches alive
    }

    /** Adds or stores the valid mr x nr corner of the tile into C, for edges and C with strided rows. */
    private static void storeTile(GemmArgs g, float[] tile, int tileWidth, int row, int mr, int col, int nr, boolean load) {
        MemorySegment c = g.c();
        long cs = g.cColStride();
        for (int r = 0; r < mr; r++) {
            long base = g.cRows()[row + r] + col * cs;
            for (int j = 0; j < nr; j++) {
                long off = base + j * cs;
                float v = tile[r * tileWidth + j];
                c.set(F, off, load ? c.get(F, off) + v : v);
            }
        }
    }

    static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
