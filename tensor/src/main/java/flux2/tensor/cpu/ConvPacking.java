package flux2.tensor.cpu;

import static flux2.tensor.cpu.ConvKernel.MR;
import static flux2.tensor.cpu.ConvKernel.NR;
import static flux2.tensor.cpu.ConvKernel.S;
import static flux2.tensor.cpu.ConvKernel.V;

import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.ConvGeometry;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Packs the two GEMM operands of a convolution into the layouts {@link ConvKernel} reads sequentially:
 * weights as [cout/MR][k][MR], and a band of output pixels as im2col panels [pixels/NR][kc][NR].
 */
final class ConvPacking {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ConvPacking() {}

    /**
     * Weights w [Cout, Cin, kh, kw] (any strides, F32/BF16/F16) as F32 blocks of MR output channels:
     * element (co, k) at ((co / MR) * K + k) * MR + co % MR, with k = (ci * kh + dy) * kw + dx; missing
     * channels of the last block are zero.
     */
    static float[] weights(Tensor w, ConvGeometry g) {
        int k = g.k(), blocks = (g.cout() + MR - 1) / MR;
        float[] packed = new float[Math.multiplyExact(blocks * MR, k)];
        long[] s = w.strides();
        MemorySegment m = w.segment();
        Parallel.forRange(g.cout(), 8, (worker, c0, c1) -> {
            for (int co = (int) c0; co < c1; co++) {
                int dst = (co / MR) * k * MR + co % MR;
                for (int ci = 0; ci < g.cin(); ci++)
                    for (int dy = 0; dy < g.kh(); dy++)
                        for (int dx = 0; dx < g.kw(); dx++, dst += MR) {
                            long e = w.offset() + co * s[0] + ci * s[1] + dy * s[2] + dx * s[3];
                            packed[dst] = (float) CpuCopy.readDouble(m, w.dtype(), e);
                        }
            }
        });
        return packed;
    }

    /** Bias (or zeros) as F32, padded to whole blocks of MR channels. */
    static float[] bias(Tensor bias, ConvGeometry g) {
        float[] b = new float[(g.cout() + MR - 1) / MR * MR];
        if (bias != null) for (int co = 0; co < g.cout(); co++) b[co] = (float) bias.get(co);
        return b;
    }

    /** Length of the zero-padded input row that one output row reads: (Wo - 1) * sw + kw. */
    static int paddedRowLength(ConvGeometry g) { return (g.wo() - 1) * g.sw() + g.kw(); }

    /**
     * im2col of reduction rows k0..k0+kc-1 for output pixels p0..p1-1 of one image, into panels of NR pixels:
     * row kk of pixel q (= p - p0) goes to (q / NR) * kc * NR + kk * NR + q % NR. Padding reads as zero.
     * x is F32 with element strides (xc, xh, xw); image is the element offset of x[n, 0, 0, 0]. Each input row
     * is first copied once into {@code row} with its zero padding, so the kw shifted reads need no bounds tests.
     */
    static void columns(MemorySegment x, long image, long xc, long xh, long xw, ConvGeometry g,
                        int k0, int kc, int p0, int p1, float[] cols, float[] row) {
        int khw = g.kh() * g.kw(), sw = g.sw();
        int q = 0;
        for (int p = p0; p < p1; ) {
            int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
            long loaded = -1;
            for (int kk = 0; kk < kc; kk++) {
                int k = k0 + kk, ci = k / khw, r = k - ci * khw, dy = r / g.kw(), dx = r - dy * g.kw();
                int ih = oh * g.sh() - g.padTop() + dy;
                if (ih < 0 || ih >= g.h()) {
                    zeroPieces(cols, kc, kk, q, len);
                    continue;
                }
                long key = (long) ci * g.h() + ih;
                if (key != loaded) {
                    loadRow(x, image + ci * xc + ih * xh, xw, g, row, ow * sw, (ow + len - 1) * sw + g.kw());
                    loaded = key;
                }
                copyPieces(row, ow * sw + dx, sw, cols, kc, kk, q, len);
            }
            q += len;
            p += len;
        }
    }

    /**
     * Fills row[from..to) with the zero-padded input row at element offset src (padded position j holds input
     * column j - padLeft, or zero outside the image); only the span one row segment reads is touched.
     */
    static void loadRow(MemorySegment x, long src, long xw, ConvGeometry g, float[] row, int from, int to) {
        int lo = Math.clamp(g.padLeft(), from, to), hi = Math.clamp((long) g.padLeft() + g.w(), lo, to);
        Arrays.fill(row, from, lo, 0f);
        long first = src + (long) (lo - g.padLeft()) * xw;
        if (xw == 1) MemorySegment.copy(x, F, first * Float.BYTES, row, lo, hi - lo);
        else for (int j = lo; j < hi; j++) row[j] = x.get(F, (first + (j - lo) * xw) * Float.BYTES);
        Arrays.fill(row, hi, to, 0f);
    }

    /** Reduction row kk of len pixels starting at pixel q: row[base], row[base + sw], ... */
    private static void copyPieces(float[] row, int base, int sw, float[] cols, int kc, int kk, int q, int len) {
        for (int i = 0; i < len; ) {
            int lane = (q + i) % NR, piece = Math.min(NR - lane, len - i);
            int dst = (q + i) / NR * kc * NR + kk * NR + lane, src = base + i * sw;
            if (sw != 1) {
                for (int l = 0; l < piece; l++) cols[dst + l] = row[src + l * sw];
            } else if (piece == NR) {
                FloatVector.fromArray(S, row, src).intoArray(cols, dst);
                FloatVector.fromArray(S, row, src + V).intoArray(cols, dst + V);
            } else {
                System.arraycopy(row, src, cols, dst, piece);
            }
            i += piece;
        }
    }

    /** Reduction row kk of len pixels starting at pixel q, all padding. */
    private static void zeroPieces(float[] cols, int kc, int kk, int q, int len) {
        for (int i = 0; i < len; ) {
            int lane = (q + i) % NR, piece = Math.min(NR - lane, len - i);
            int dst = (q + i) / NR * kc * NR + kk * NR + lane;
            Arrays.fill(cols, dst, dst + piece, 0f);
            i += piece;
        }
    }
}
