package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked GEMM micro-kernel of the convolution: a tile of {@link #MR} output channels by
 * {@link #NR} pixels, c[r][j] (+)= sum_k a[k][r] * b[k][j], with a and b packed so both are read sequentially.
 * Five rows by two vectors: ten independent accumulators cover the FMA latency, and with two b vectors and
 * the broadcasts they still fit the 16 AVX2 registers (six rows made C2 spill an accumulator in the loop).
 */
final class ConvKernel {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int V = S.length();
    /** Output channels per tile. */
    static final int MR = 5;
    /** Pixels per tile: two vectors. */
    static final int NR = 2 * V;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private ConvKernel() {}

    /**
     * One tile over kc reduction steps. a holds kc groups of MR weights from index ai; b holds kc groups of NR
     * pixels from index bi. If {@code load} the tile's current values in c are the starting sums, else row r
     * starts at bias[biasAt + r]. c rows are {@code rowBytes} apart, each NR contiguous floats from cOff.
     */
    static void tile(int kc, float[] a, int ai, float[] b, int bi, boolean load, float[] bias, int biasAt,
                     MemorySegment c, long cOff, long rowBytes) {
        final long vb = (long) V * Float.BYTES;
        long o0 = cOff, o1 = o0 + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes, o4 = o3 + rowBytes;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
        if (load) {
            c00 = FloatVector.fromMemorySegment(S, c, o0, LE); c01 = FloatVector.fromMemorySegment(S, c, o0 + vb, LE);
            c10 = FloatVector.fromMemorySegment(S, c, o1, LE); c11 = FloatVector.fromMemorySegment(S, c, o1 + vb, LE);
            c20 = FloatVector.fromMemorySegment(S, c, o2, LE); c21 = FloatVector.fromMemorySegment(S, c, o2 + vb, LE);
            c30 = FloatVector.fromMemorySegment(S, c, o3, LE); c31 = FloatVector.fromMemorySegment(S, c, o3 + vb, LE);
            c40 = FloatVector.fromMemorySegment(S, c, o4, LE); c41 = FloatVector.fromMemorySegment(S, c, o4 + vb, LE);
        } else {
            c00 = c01 = FloatVector.broadcast(S, bias[biasAt]);
            c10 = c11 = FloatVector.broadcast(S, bias[biasAt + 1]);
            c20 = c21 = FloatVector.broadcast(S, bias[biasAt + 2]);
            c30 = c31 = FloatVector.broadcast(S, bias[biasAt + 3]);
            c40 = c41 = FloatVector.broadcast(S, bias[biasAt + 4]);
        }
        // Indices affine in k, so C2 hoists the array bounds checks out of the loop.
        for (int k = 0; k < kc; k++) {
            int ak = ai + k * MR, bk = bi + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector w = FloatVector.broadcast(S, a[ak]);
            c00 = w.fma(b0, c00); c01 = w.fma(b1, c01);
            w = FloatVector.broadcast(S, a[ak + 1]);
            c10 = w.fma(b0, c10); c11 = w.fma(b1, c11);
            w = FloatVector.broadcast(S, a[ak + 2]);
            c20 = w.fma(b0, c20); c21 = w.fma(b1, c21);
            w = FloatVector.broadcast(S, a[ak + 3]);
            c30 = w.fma(b0, c30); c31 = w.fma(b1, c31);
            w = FloatVector.broadcast(S, a[ak + 4]);
            c40 = w.fma(b0, c40); c41 = w.fma(b1, c41);
        }
        c00.intoMemorySegment(c, o0, LE); c01.intoMemorySegment(c, o0 + vb, LE);
        c10.intoMemorySegment(c, o1, LE); c11.intoMemorySegment(c, o1 + vb, LE);
        c20.intoMemorySegment(c, o2, LE); c21.intoMemorySegment(c, o2 + vb, LE);
        c30.intoMemorySegment(c, o3, LE); c31.intoMemorySegment(c, o3 + vb, LE);
        c40.intoMemorySegment(c, o4, LE); c41.intoMemorySegment(c, o4 + vb, LE);
    }
}
