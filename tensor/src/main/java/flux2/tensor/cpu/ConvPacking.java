package flux2.tensor.cpu;

import static flux2.tensor.cpu.ConvKernel.MR;
import static flux2.tensor.cpu.ConvKernel.NR;
import static flux2.tensor.cpu.ConvKernel.S;
import static flux2.tensor.cpu.ConvKernel.V;

import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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

    /**
     * im2col of reduction rows k0..k0+kc-1 for output pixels p0..p1-1 of one image, into panels of NR pixels:
     * row kk of pixel q (= p - p0) goes to (q / NR) * kc * NR + kk * NR + q % NR. Padding reads as zero.
     * x is F32 with element strides (xc, xh, xw); image is the element offset of x[n, 0, 0, 0].
     */
    static void columns(MemorySegment x, long image, long xc, long xh, long xw, ConvGeometry g,
                        int k0, int kc, int p0, int p1, float[] cols) {
        int khw = g.kh() * g.kw();
        boolean rowsContiguous = g.sw() == 1 && xw == 1;
        for (int kk = 0; kk < kc; kk++) {
            int k = k0 + kk, ci = k / khw, r = k - ci * khw, dy = r / g.kw(), dx = r - dy * g.kw();
            long channel = image + ci * xc;
            // Output columns whose input column iw = ow * sw - padLeft + dx lies inside [0, W).
            int owLo = Math.clamp(Math.ceilDiv(g.padLeft() - dx, g.sw()), 0, g.wo());
            int owHi = Math.clamp(Math.floorDiv(g.w() - 1 + g.padLeft() - dx, g.sw()) + 1, owLo, g.wo());
            int q = 0;
            for (int p = p0; p < p1; ) {
                int oh = p / g.wo(), ow = p - oh * g.wo(), len = Math.min(g.wo() - ow, p1 - p);
                int ih = oh * g.sh() - g.padTop() + dy;
                boolean rowInside = ih >= 0 && ih < g.h();
                long row = channel + ih * xh;
                int end = ow + len;
                while (ow < end) {
                    int lane = q % NR, piece = Math.min(NR - lane, end - ow);
                    int dst = (q / NR) * kc * NR + kk * NR + lane;
                    int lo = rowInside ? Math.max(ow, owLo) : end, hi = rowInside ? Math.min(ow + piece, owHi) : end;
                    if (hi <= lo) {
                        Arrays.fill(cols, dst, dst + piece, 0f);
                    } else {
                        Arrays.fill(cols, dst, dst + (lo - ow), 0f);
                        int at = dst + (lo - ow), count = hi - lo;
                        long src = row + (long) (lo * g.sw() - g.padLeft() + dx) * xw;
                        if (rowsContiguous) copyRun(x, src, cols, at, count);
                        else for (int i = 0; i < count; i++) cols[at + i] = x.get(F, (src + i * g.sw() * xw) * Float.BYTES);
                        Arrays.fill(cols, at + count, dst + piece, 0f);
                    }
                    ow += piece;
                    q += piece;
                }
                p += len;
            }
        }
    }

    /** count contiguous floats from element src of x to cols[at..]. */
    private static void copyRun(MemorySegment x, long src, float[] cols, int at, int count) {
        int i = 0;
        for (; i + V <= count; i += V)
            FloatVector.fromMemorySegment(S, x, (src + i) * Float.BYTES, ByteOrder.LITTLE_ENDIAN).intoArray(cols, at + i);
        for (; i < count; i++) cols[at + i] = x.get(F, (src + i) * Float.BYTES);
    }
}
