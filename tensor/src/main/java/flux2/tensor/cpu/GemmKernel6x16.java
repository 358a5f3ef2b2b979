package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 256-bit (AVX2) micro-kernel: 6 rows x 16 columns (2 vectors of 8), twelve accumulators, two B vectors
 * and one broadcast in the 16 vector registers.
 *
 * <p>The loop form is deliberate: named accumulators, the k loop unrolled twice and offsets bumped rather
 * than computed from k. C2 keeps all accumulators in registers in this form; unrolling further, indexing
 * with k*6/k*16 or a count-down loop make it spill (measured on AVX2, about 2x slower).
 */
final class GemmKernel6x16 extends GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Blocking measured on Zen 3 (32 KiB L1, 512 KiB L2): kc = 512 with an A block of 72 x 512 floats (144 KiB)
     * in L2 and a B panel of 512 x 16 floats (32 KiB, the size of L1; the hardware streams it from L2 as well).
     * Against kc = 256 (mc = 144), it halves the passes that load and store C, and gave 1.04-1.2x on 1024^3 and
     * 2048^3, F32 and BF16 weights, in every interleaved single-thread comparison.
     */
    GemmKernel6x16() { super(6, 16, 72, 512, 4080); }

    @Override
    void kernel(int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int k = 0;
        for (; k + 1 < kc; k += 2) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 8);
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ao + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ao + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            b0 = FloatVector.fromArray(S, b, bo + 16); b1 = FloatVector.fromArray(S, b, bo + 24);
            av = FloatVector.broadcast(S, a[ao + 6]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 7]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 8]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 9]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ao + 10]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ao + 11]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
            ao += 12;
            bo += 32;
        }
        if (k < kc) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 8);
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ao + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ao + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, 8);
        c10.intoArray(tile, 16);
        c11.intoArray(tile, 24);
        c20.intoArray(tile, 32);
        c21.intoArray(tile, 40);
        c30.intoArray(tile, 48);
        c31.intoArray(tile, 56);
        c40.intoArray(tile, 64);
        c41.intoArray(tile, 72);
        c50.intoArray(tile, 80);
        c51.intoArray(tile, 88);
    }


    @Override
    void addTile(float[] tile, MemorySegment c, long[] cRows, int row, long cCol, boolean load) {
        for (int r = 0; r < 6; r++) {
            long off = cRows[row + r] + cCol;
            FloatVector v0 = FloatVector.fromArray(S, tile, r * 16), v1 = FloatVector.fromArray(S, tile, r * 16 + 8);
            if (load) {
                v0 = v0.add(FloatVector.fromMemorySegment(S, c, off, LE));
                v1 = v1.add(FloatVector.fromMemorySegment(S, c, off + 32, LE));
            }
            v0.intoMemorySegment(c, off, LE);
            v1.intoMemorySegment(c, off + 32, LE);
        }
    }
}
