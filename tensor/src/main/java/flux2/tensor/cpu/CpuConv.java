package flux2.tensor.cpu;

import static flux2.tensor.cpu.ConvKernel.MR;
import static flux2.tensor.cpu.ConvKernel.NR;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.ConvGeometry;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * conv2d as a GEMM, out[co, pixels] = w[co, cin*kh*kw] x cols[cin*kh*kw, pixels], over bands of output
 * pixels: each task packs the im2col columns of one band and one block of the reduction at a time into a
 * per-thread scratch (never the whole im2col matrix), then runs {@link ConvKernel} tiles over it.
 * Work is split over (image, output-channel group, pixel band).
 */
final class CpuConv {
    /** Target reduction rows per packed block, so one panel of NR pixels stays in L1. */
    static final int KC_TARGET = 256;
    /** Target floats per packed band (KC x pixels), so the band stays in L2. */
    static final int BAND_FLOATS = 64 * 1024;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuConv() {}

    /**
     * Per-thread packed columns, one padded input row and an edge tile; grown on demand and reused across
     * calls. The tile is native memory so that the kernel only ever sees native output segments.
     */
    private static final class Scratch {
        float[] cols = new float[0];
        float[] row = new float[0];
        final MemorySegment tile = Arena.ofAuto().allocate((long) MR * NR * Float.BYTES, 64);

        Scratch size(int colsLength, int rowLength) {
            if (cols.length < colsLength) cols = new float[colsLength];
            if (row.length < rowLength) row = new float[rowLength];
            return this;
        }
    }

    /** How the work of one call is cut: reduction blocks, pixel bands and output-channel groups. */
    record Plan(int kc, int band, int bands, int coBlocks, int coGroups) {
        static Plan of(ConvGeometry g, int threads) {
            int k = g.k();
            int kc = Math.ceilDiv(k, Math.ceilDiv(k, KC_TARGET));
            int band = Math.clamp((long) BAND_FLOATS / kc / NR * NR, NR, 64 * NR);
            int bands = Math.ceilDiv(g.pixels(), band);
            int coBlocks = Math.ceilDiv(g.cout(), MR);
            // Split output channels too only when images x bands cannot keep every thread busy.
            long tasks = (long) g.n() * bands;
            int coGroups = tasks >= 2L * threads ? 1 : (int) Math.min(coBlocks, Math.ceilDiv(2L * threads, tasks));
            return new Plan(kc, band, bands, coBlocks, coGroups);
        }

        /** Bytes of per-thread scratch a call needs. */
        long scratchBytesPerThread(ConvGeometry g) {
            return ((long) kc * band + ConvPacking.paddedRowLength(g) + MR * NR) * Float.BYTES;
        }
    }

    static void conv2d(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor out) {
        if (out.numel() == 0) return;
        if (g.k() == 0) {
            CpuCopy.fill(out, 0);
            if (bias != null) CpuCopy.copy(bias.reshape(1, g.cout(), 1, 1).expand(out.shape()), out);
            return;
        }
        Tensor xf = x.dtype() == DType.F32 ? x : x.to(DType.F32);
        float[] wp = ConvPacking.weights(w, g);
        float[] bp = ConvPacking.bias(bias, g);
        Plan plan = Plan.of(g, Parallel.threads());
        long tasks = (long) g.n() * plan.coGroups() * plan.bands();
        // Threads take tasks one at a time rather than in fixed shares, so a thread slowed down by other load
        // on the machine does not hold up the call.
        AtomicLong next = new AtomicLong();
        Parallel.forRange(Math.min(Parallel.threads(), tasks), 1, (worker, unused0, unused1) -> {
            Scratch s = SCRATCH.get().size(plan.kc() * plan.band(), ConvPacking.paddedRowLength(g));
            for (long t; (t = next.getAndIncrement()) < tasks; ) {
                int band = (int) (t % plan.bands());
                long rest = t / plan.bands();
                int group = (int) (rest % plan.coGroups()), n = (int) (rest / plan.coGroups());
                int cb0 = (int) ((long) plan.coBlocks() * group / plan.coGroups());
                int cb1 = (int) ((long) plan.coBlocks() * (group + 1) / plan.coGroups());
                int p0 = band * plan.band(), p1 = Math.min(g.pixels(), p0 + plan.band());
                runTask(xf, g, plan, wp, bp, out, n, cb0, cb1, p0, p1, s);
            }
        });
    }

    /** Output channel blocks cb0..cb1-1 of pixels p0..p1-1 of image n. */
    private static void runTask(Tensor x, ConvGeometry g, Plan plan, float[] wp, float[] bp, Tensor out,
                                int n, int cb0, int cb1, int p0, int p1, Scratch s) {
        float[] cols = s.cols;
        long[] xs = x.strides(), os = out.strides();
        long image = x.offset() + n * xs[0];
        // Tiles go straight to out when each output plane is row-major; other layouts go through the tile.
        boolean planeDense = os[3] == 1 && (os[2] == g.wo() || g.ho() == 1);
        int k = g.k(), np = p1 - p0;
        MemorySegment om = out.segment();
        for (int k0 = 0; k0 < k; k0 += plan.kc()) {
            int kc = Math.min(plan.kc(), k - k0);
            boolean load = k0 > 0;
            ConvPacking.columns(x.segment(), image, xs[1], xs[2], xs[3], g, k0, kc, p0, p1, cols, s.row);
            // One packed panel of NR pixels stays in L1 while every weight block passes over it.
            for (int q = 0; q < np; q += NR) {
                int lanes = Math.min(NR, np - q), bi = q * kc;
                for (int cb = cb0; cb < cb1; cb++) {
                    int co = cb * MR, rows = Math.min(MR, g.cout() - co);
                    int ai = (cb * k + k0) * MR;
                    if (planeDense && rows == MR && lanes == NR) {
                        long c = (out.offset() + n * os[0] + co * os[1] + p0 + q) * Float.BYTES;
                        ConvKernel.tile(kc, wp, ai, cols, bi, load, bp, co, om, c, os[1] * Float.BYTES);
                    } else {
                        if (load) tileIO(out, os, planeDense, n, co, rows, p0 + q, lanes, g.wo(), s.tile, true);
                        ConvKernel.tile(kc, wp, ai, cols, bi, load, bp, co, s.tile, 0, (long) NR * Float.BYTES);
                        tileIO(out, os, planeDense, n, co, rows, p0 + q, lanes, g.wo(), s.tile, false);
                    }
                }
            }
        }
    }

    /** Moves the valid part of an edge tile between out and the tile buffer. */
    private static void tileIO(Tensor out, long[] os, boolean planeDense, int n, int co, int rows, int pixel, int lanes,
                               int wo, MemorySegment tile, boolean read) {
        MemorySegment m = out.segment();
        for (int r = 0; r < rows; r++) {
            long base = out.offset() + n * os[0] + (co + r) * os[1];
            if (planeDense) {
                long at = (base + pixel) * Float.BYTES;
                long t = (long) r * NR * Float.BYTES, bytes = (long) lanes * Float.BYTES;
                if (read) MemorySegment.copy(m, at, tile, t, bytes);
                else MemorySegment.copy(tile, t, m, at, bytes);
                continue;
            }
            for (int j = 0; j < lanes; j++) {
                int p = pixel + j, oh = p / wo, ow = p - oh * wo;
                long at = (base + oh * os[2] + ow * os[3]) * Float.BYTES;
                long t = (long) (r * NR + j) * Float.BYTES;
                if (read) tile.set(F, t, m.get(F, at));
                else m.set(F, at, tile.get(F, t));
            }
        }
    }
}
