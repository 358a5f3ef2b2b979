package flux2.tensor.cpu;

import static flux2.tensor.cpu.ConvKernel.MR;
import static flux2.tensor.cpu.ConvKernel.NR;
import static flux2.tensor.cpu.ConvKernel.S;
import static flux2.tensor.cpu.ConvKernel.V;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.ConvGeometry;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;

/**
 * Gradients of conv2d, as GEMMs on the forward's micro-kernel {@link ConvKernel}.
 * <p>Input: per band of output pixels, cols[cin*kh*kw, band] = W^T x dOut[cout, band], scattered (col2im)
 * into a zero-padded accumulator of the task's input channels; tasks own (image, input-channel group), so no
 * two threads touch the same dx element.
 * <p>Weight: dw[cout, k] = sum over images and pixels of dOut[cout, p] x im2col(x)[k, p], with the pixels as
 * the reduction; tasks own disjoint tiles of dw and run over every pixel, so nothing is summed across threads.
 * <p>Both are bitwise independent of the thread count: every element is summed in an order fixed by the
 * geometry alone (pixel bands and reduction blocks do not depend on how the work is split).
 */
final class CpuConvBackward {
    /** Floats of the per-thread padded input-gradient accumulator that bound an input-channel group. */
    static final int ACC_FLOATS = 1024 * 1024;
    /** Output pixels per reduction pass of the weight gradient. */
    static final int DW_BAND = 256;
    /** Rows of im2col packed at a time for the weight gradient (a multiple of NR). */
    static final int DW_KCHUNK = Math.max(NR, 256 / NR * NR);

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final float[] ZERO = new float[MR];
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private CpuConvBackward() {}

    /** Per-thread packed operands, accumulator and GEMM result band; grown on demand, reused across calls. */
    private static final class Scratch {
        float[] a = new float[0], b = new float[0], acc = new float[0], row = new float[0];
        MemorySegment cols = MemorySegment.NULL;

        float[] grow(float[] v, int length) { return v.length < length ? new float[length] : v; }

        MemorySegment cols(long floats) {
            if (cols.byteSize() < floats * Float.BYTES) cols = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            return cols;
        }
    }

    // ---------------------------------------------------------------- input gradient

    static void backwardInput(ConvGeometry g, Tensor dOut, Tensor w, Tensor dx) {
        Tensor dOutF = asF32(dOut);
        if (dx.numel() == 0) return;
        if (dOutF.numel() == 0) {
            CpuCopy.fill(dx, 0);
            return;
        }
        InputPlan plan = InputPlan.of(g, Parallel.threads());
        float[] wt = packTransposedWeights(w, g, plan);
        long tasks = (long) g.n() * plan.groups();
        AtomicLong next = new AtomicLong();
        Parallel.forRange(Math.min(Parallel.threads(), tasks), 1, (worker, unused0, unused1) -> {
            Scratch s = SCRATCH.get();
            for (long t; (t = next.getAndIncrement()) < tasks; )
                inputTask(dOutF, g, plan, wt, dx, (int) (t / plan.groups()), (int) (t % plan.groups()), s);
        });
    }

    /** Cuts of an input-gradient call: channels per group, reduction block over cout, pixel band. */
    record InputPlan(int cig, int groups, int kc, int band, int hp, int wp) {
        static InputPlan of(ConvGeometry g, int threads) {
            int hp = (g.ho() - 1) * g.sh() + g.kh(), wp = (g.wo() - 1) * g.sw() + g.kw();
            long plane = (long) hp * wp;
            int cig = (int) Math.clamp(ACC_FLOATS / plane, 1, g.cin());
            int groups = Math.ceilDiv(g.cin(), cig);
            // More, smaller groups only when images x groups cannot keep every thread busy.
            if ((long) g.n() * groups < 2L * threads) {
                groups = (int) Math.min(g.cin(), Math.ceilDiv(2L * threads, g.n()));
                cig = Math.ceilDiv(g.cin(), groups);
                groups = Math.ceilDiv(g.cin(), cig);
            }
            int cout = g.cout();
            int kc = Math.ceilDiv(cout, Math.ceilDiv(cout, CpuConv.KC_TARGET));
            int band = Math.clamp((long) CpuConv.BAND_FLOATS / kc / NR * NR, NR, 64 * NR);
            return new InputPlan(cig, groups, kc, band, hp, wp);
        }

        int c0(int group) { return group * cig; }

        int channels(int group, ConvGeometry g) { return Math.min(g.cin(), (group + 1) * cig) - group * cig; }

        /** Row blocks of MR in one group's part of W^T. */
        int blocks(int group, ConvGeometry g) { return Math.ceilDiv(channels(group, g) * g.kh() * g.kw(), MR); }
    }

    /**
     * W^T per channel group as blocks [block][cout][MR]: row r of a group (r = (ci - c0) * kh * kw + dy * kw + dx)
     * at ((groupBlock0 + r / MR) * cout + co) * MR + r % MR, group g starting at block g * blocks(0) (every group
     * but the last has the same size); rows past the group's end are zero.
     */
    private static float[] packTransposedWeights(Tensor w, ConvGeometry g, InputPlan plan) {
        int cout = g.cout(), khw = g.kh() * g.kw(), perGroup = plan.blocks(0, g);
        float[] packed = new float[Math.multiplyExact(Math.multiplyExact(perGroup * plan.groups(), cout), MR)];
        long[] s = w.strides();
        MemorySegment m = w.segment();
        Parallel.forRange(plan.groups(), 1, (worker, g0, g1) -> {
            for (int gi = (int) g0; gi < g1; gi++) {
                int c0 = plan.c0(gi), rows = plan.channels(gi, g) * khw;
                for (int r = 0; r < rows; r++) {
                    int ci = c0 + r / khw, rem = r % khw, dy = rem / g.kw(), dx = rem % g.kw();
                    int dst = ((gi * perGroup + r / MR) * cout) * MR + r % MR;
                    long src = w.offset() + ci * s[1] + dy * s[2] + dx * s[3];
                    for (int co = 0; co < cout; co++, dst += MR)
                        packed[dst] = (float) CpuCopy.readDouble(m, w.dtype(), src + co * s[0]);
                }
            }
        });
        return packed;
    }

    /** dx[n, group's channels] from every output pixel of image n. */
    private static void inputTask(Tensor dOut, ConvGeometry g, InputPlan plan, float[] wt, Tensor dx, int n, int group,
                                  Scratch s) {
        int chans = plan.channels(group, g), rows = chans * g.kh() * g.kw(), blocks = plan.blocks(group, g);
        int cout = g.cout(), band = plan.band(), blockBase = group * plan.blocks(0, g);
        int accLength = chans * plan.hp() * plan.wp();
        float[] acc = s.acc = s.grow(s.acc, accLength);
        Arrays.fill(acc, 0, accLength, 0f);
        float[] b = s.b = s.grow(s.b, plan.kc() * band);
        MemorySegment cols = s.cols((long) blocks * MR * band);
        long rowBytes = (long) band * Float.BYTES;
        for (int p0 = 0; p0 < g.pixels(); p0 += band) {
            int p1 = Math.min(g.pixels(), p0 + band), panels = Math.ceilDiv(p1 - p0, NR);
            for (int k0 = 0; k0 < cout; k0 += plan.kc()) {
                int kc = Math.min(plan.kc(), cout - k0);
                packOutputPanels(dOut, g, n, k0, kc, p0, p1, b);
                for (int q = 0; q < panels; q++)
                    for (int rb = 0; rb < blocks; rb++)
                        ConvKernel.tile(kc, wt, ((blockBase + rb) * cout + k0) * MR, b, q * kc * NR, k0 > 0, ZERO, 0,
                                cols, rb * MR * rowBytes + (long) q * NR * Float.BYTES, rowBytes);
            }
            scatter(cols, band, g, plan, rows, p0, p1, acc);
        }
        storeInput(acc, g, plan, dx, n, plan.c0(group), chans);
    }

    /**
     * dOut rows k0..k0+kc-1 of pixels p0..p1-1 of image n as panels [pixels/NR][kc][NR]; lanes past p1 are zero.
     */
    private static void packOutputPanels(Tensor dOut, ConvGeometry g, int n, int k0, int kc, int p0, int p1, float[] b) {
        long[] os = dOut.strides();
        MemorySegment m = dOut.segment();
        int np = p1 - p0, tail = np % NR;
        for (int kk = 0; kk < kc; kk++) {
            long base = dOut.offset() + n * os[0] + (k0 + kk) * os[1];
            int q = 0;
            for (int p = p0; p < p1; ) {
                int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
                long src = base + oh * os[2] + ow * os[3];
                for (int i = 0; i < len; ) {
                    int lane = (q + i) % NR, piece = Math.min(NR - lane, len - i);
                    int dst = (q + i) / NR * kc * NR + kk * NR + lane;
                    if (os[3] == 1 && piece == NR) {
                        // Whole panel rows are the common case: two vector moves beat a generic bulk copy.
                        long at = (src + i) * Float.BYTES;
                        FloatVector.fromMemorySegment(S, m, at, LE).intoArray(b, dst);
                        FloatVector.fromMemorySegment(S, m, at + (long) V * Float.BYTES, LE).intoArray(b, dst + V);
                    } else if (os[3] == 1) {
                        MemorySegment.copy(m, F, (src + i) * Float.BYTES, b, dst, piece);
                    } else {
                        for (int l = 0; l < piece; l++) b[dst + l] = m.get(F, (src + (i + l) * os[3]) * Float.BYTES);
                    }
                    i += piece;
                }
                q += len;
                p += len;
            }
            if (tail != 0) {
                int dst = np / NR * kc * NR + kk * NR;
                Arrays.fill(b, dst + tail, dst + NR, 0f);
            }
        }
    }

    /** col2im: adds GEMM row r (channel, dy, dx) of the band's pixels into the padded accumulator. */
    private static void scatter(MemorySegment cols, int band, ConvGeometry g, InputPlan plan, int rows, int p0, int p1,
                                float[] acc) {
        int kw = g.kw(), khw = g.kh() * kw, sw = g.sw(), hp = plan.hp(), wp = plan.wp();
        for (int r = 0; r < rows; r++) {
            int cl = r / khw, rem = r - cl * khw, dy = rem / kw, dxk = rem - dy * kw;
            long rowOff = (long) r * band * Float.BYTES;
            int q = 0;
            for (int p = p0; p < p1; ) {
                int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
                int dst = (cl * hp + oh * g.sh() + dy) * wp + ow * sw + dxk;
                long src = rowOff + (long) q * Float.BYTES;
                if (sw == 1) {
                    int i = 0;
                    for (; i <= len - V; i += V)
                        FloatVector.fromArray(S, acc, dst + i)
                                .add(FloatVector.fromMemorySegment(S, cols, src + (long) i * Float.BYTES, LE))
                                .intoArray(acc, dst + i);
                    for (; i < len; i++) acc[dst + i] += cols.get(F, src + (long) i * Float.BYTES);
                } else {
                    for (int i = 0; i < len; i++) acc[dst + i * sw] += cols.get(F, src + (long) i * Float.BYTES);
                }
                q += len;
                p += len;
            }
        }
    }

    /** Writes the interior of the padded accumulator to dx[n, c0..c0+chans-1]; positions it never reached get 0. */
    private static void storeInput(float[] acc, ConvGeometry g, InputPlan plan, Tensor dx, int n, int c0, int chans) {
        long[] ds = dx.strides();
        MemorySegment m = dx.segment();
        int hp = plan.hp(), wp = plan.wp();
        // Input columns iw with iw + padLeft < wp were reached; the rest (cut off by the stride) get zero.
        int valid = Math.clamp((long) wp - g.padLeft(), 0, g.w());
        for (int cl = 0; cl < chans; cl++)
            for (int ih = 0; ih < g.h(); ih++) {
                long base = dx.offset() + n * ds[0] + (c0 + cl) * ds[1] + ih * ds[2];
                int y = ih + g.padTop();
                int from = (cl * hp + y) * wp + g.padLeft(), count = y < hp ? valid : 0;
                if (ds[3] == 1) {
                    if (count > 0) MemorySegment.copy(acc, from, m, F, base * Float.BYTES, count);
                    if (count < g.w()) m.asSlice((base + count) * Float.BYTES, (long) (g.w() - count) * Float.BYTES).fill((byte) 0);
                } else {
                    for (int iw = 0; iw < g.w(); iw++)
                        m.set(F, (base + iw * ds[3]) * Float.BYTES, iw < count ? acc[from + iw] : 0f);
                }
            }
    }

    // ---------------------------------------------------------------- weight gradient

    static void backwardWeight(ConvGeometry g, Tensor x, Tensor dOut, Tensor dw) {
        Tensor dOutF = asF32(dOut);
        if (dw.numel() == 0) return;
        if (dOutF.numel() == 0) {
            CpuCopy.fill(dw, 0);
            return;
        }
        Tensor xf = x.dtype() == DType.F32 ? x : x.to(DType.F32);
        int k = g.k(), coBlocks = Math.ceilDiv(g.cout(), MR), kPanels = Math.ceilDiv(k, NR), kPad = kPanels * NR;
        int threads = Parallel.threads();
        long target = threads == 1 ? 1 : 2L * threads;
        // Split k first: a k group packs only its rows of im2col, the larger operand; each co group repacks them.
        int kGroups = (int) Math.min(kPanels, target);
        int coGroups = (int) Math.min(coBlocks, Math.ceilDiv(target, kGroups));
        long tasks = (long) kGroups * coGroups;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment acc = arena.allocate((long) coBlocks * MR * kPad * Float.BYTES, 64);
            AtomicLong next = new AtomicLong();
            Parallel.forRange(Math.min(threads, tasks), 1, (worker, unused0, unused1) -> {
                Scratch s = SCRATCH.get();
                for (long t; (t = next.getAndIncrement()) < tasks; ) {
                    int kg = (int) (t % kGroups), cg = (int) (t / kGroups);
                    int kp0 = (int) ((long) kPanels * kg / kGroups), kp1 = (int) ((long) kPanels * (kg + 1) / kGroups);
                    int cb0 = (int) ((long) coBlocks * cg / coGroups), cb1 = (int) ((long) coBlocks * (cg + 1) / coGroups);
                    weightTask(xf, dOutF, g, acc, kPad, cb0, cb1, kp0, kp1, s);
                }
            });
            storeWeight(acc, kPad, g, dw);
        }
    }

    /** dw tiles of output-channel blocks cb0..cb1-1 by k panels kp0..kp1-1, over every pixel of every image. */
    private static void weightTask(Tensor x, Tensor dOut, ConvGeometry g, MemorySegment acc, int kPad,
                                   int cb0, int cb1, int kp0, int kp1, Scratch s) {
        int chunk = DW_KCHUNK / NR;
        float[] a = s.a = s.grow(s.a, (cb1 - cb0) * MR * DW_BAND);
        float[] b = s.b = s.grow(s.b, DW_KCHUNK * DW_BAND);
        float[] row = s.row = s.grow(s.row, ConvPacking.paddedRowLength(g));
        long rowBytes = (long) kPad * Float.BYTES;
        long[] xs = x.strides();
        for (int n = 0; n < g.n(); n++) {
            long image = x.offset() + n * xs[0];
            for (int p0 = 0; p0 < g.pixels(); p0 += DW_BAND) {
                int p1 = Math.min(g.pixels(), p0 + DW_BAND), np = p1 - p0;
                boolean load = n > 0 || p0 > 0;
                packOutputRows(dOut, g, n, cb0, cb1, p0, p1, a);
                for (int kpc = kp0; kpc < kp1; kpc += chunk) {
                    int kpe = Math.min(kp1, kpc + chunk);
                    packColumnRows(x, image, g, kpc * NR, Math.min(g.k(), kpe * NR), kpe - kpc, p0, p1, b, row);
                    for (int kp = kpc; kp < kpe; kp++)
                        for (int cb = cb0; cb < cb1; cb++)
                            ConvKernel.tile(np, a, (cb - cb0) * np * MR, b, (kp - kpc) * np * NR, load, ZERO, 0,
                                    acc, cb * MR * rowBytes + (long) kp * NR * Float.BYTES, rowBytes);
                }
            }
        }
    }

    /** dOut of output-channel blocks cb0..cb1-1, pixels p0..p1-1 of image n, as [block][pixel][MR]; missing channels zero. */
    private static void packOutputRows(Tensor dOut, ConvGeometry g, int n, int cb0, int cb1, int p0, int p1, float[] a) {
        long[] os = dOut.strides();
        MemorySegment m = dOut.segment();
        int np = p1 - p0;
        for (int cb = cb0; cb < cb1; cb++)
            for (int r = 0; r < MR; r++) {
                int co = cb * MR + r, dst = (cb - cb0) * np * MR + r;
                if (co >= g.cout()) {
                    for (int q = 0; q < np; q++) a[dst + q * MR] = 0f;
                    continue;
                }
                long base = dOut.offset() + n * os[0] + co * os[1];
                for (int p = p0; p < p1; ) {
                    int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
                    long src = base + oh * os[2] + ow * os[3];
                    for (int i = 0; i < len; i++, dst += MR) a[dst] = m.get(F, (src + i * os[3]) * Float.BYTES);
                    p += len;
                }
            }
    }

    /**
     * im2col rows ka..kb-1 of pixels p0..p1-1 as [panel][pixel][NR] (row ka + j * NR + l in lane l of panel j),
     * the transpose of {@link ConvPacking#columns}'s layout, so the pixels are the reduction; lanes past kb are zero.
     */
    private static void packColumnRows(Tensor x, long image, ConvGeometry g, int ka, int kb, int panels,
                                       int p0, int p1, float[] b, float[] row) {
        long[] xs = x.strides();
        MemorySegment xm = x.segment();
        int khw = g.kh() * g.kw(), sw = g.sw(), np = p1 - p0, rows = kb - ka;
        for (int kk = rows; kk < panels * NR; kk++) {
            int dst = ((kk / NR) * np) * NR + kk % NR;
            for (int q = 0; q < np; q++) b[dst + q * NR] = 0f;
        }
        int q = 0;
        for (int p = p0; p < p1; ) {
            int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
            long loaded = -1;
            for (int kk = 0; kk < rows; kk++) {
                int k = ka + kk, ci = k / khw, rem = k - ci * khw, dy = rem / g.kw(), dx = rem - dy * g.kw();
                int ih = oh * g.sh() - g.padTop() + dy;
                int dst = ((kk / NR) * np + q) * NR + kk % NR;
                if (ih < 0 || ih >= g.h()) {
                    for (int i = 0; i < len; i++) b[dst + i * NR] = 0f;
                    continue;
                }
                long key = (long) ci * g.h() + ih;
                if (key != loaded) {
                    ConvPacking.loadRow(xm, image + ci * xs[1] + ih * xs[2], xs[3], g, row, ow * sw, (ow + len - 1) * sw + g.kw());
                    loaded = key;
                }
                int src = ow * sw + dx;
                for (int i = 0; i < len; i++) b[dst + i * NR] = row[src + i * sw];
            }
            q += len;
            p += len;
        }
    }

    /** Copies the valid [cout, k] part of the accumulator into dw [Cout, Cin, kh, kw]. */
    private static void storeWeight(MemorySegment acc, int kPad, ConvGeometry g, Tensor dw) {
        long[] ds = dw.strides();
        MemorySegment m = dw.segment();
        int k = g.k();
        for (int co = 0; co < g.cout(); co++) {
            long from = (long) co * kPad * Float.BYTES;
            if (dw.isContiguous()) {
                MemorySegment.copy(acc, from, m, (dw.offset() + (long) co * k) * Float.BYTES, (long) k * Float.BYTES);
                continue;
            }
            for (int kk = 0; kk < k; kk++) {
                int ci = kk / (g.kh() * g.kw()), rem = kk % (g.kh() * g.kw()), dy = rem / g.kw(), dx = rem % g.kw();
                long e = dw.offset() + co * ds[0] + ci * ds[1] + dy * ds[2] + dx * ds[3];
                m.set(F, e * Float.BYTES, acc.get(F, from + (long) kk * Float.BYTES));
            }
        }
    }

    private static Tensor asF32(Tensor dOut) {
        return dOut.dtype() == DType.F32 ? dOut : dOut.to(DType.F32);
    }
}
