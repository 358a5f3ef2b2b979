package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 512-bit (AVX-512) micro-kernel: 12 rows x 32 columns (2 vectors of 16). Its 24 accumulators, two B
 * vectors and one broadcast use 27 of the 32 vector registers: 14 loads per 24 FMAs (the 256-bit kernel
 * needs 8 per 12), and enough independent sums to cover the FMA latency on two FMA pipes. Same loop form
 * as {@link GemmKernel6x16}, for the same reason.
 */
final class GemmKernel12x32 extends GemmKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Blocking by the rule measured for the 256-bit kernel (not measured on 512-bit hardware): a B panel of about
     * the L1 size (256 x 32 floats, 32 KiB) and an A block of 144 KiB (144 x 256 floats) in L2.
     */
    GemmKernel12x32() { super(12, 32, 144, 256, 4096); }

    @Override
    void kernel(int kc, float[] a, int ao, float[] b, int bo, float[] tile) {
        FloatVector c0_0 = FloatVector.zero(S), c0_1 = FloatVector.zero(S);
        FloatVector c1_0 = FloatVector.zero(S), c1_1 = FloatVector.zero(S);
        FloatVector c2_0 = FloatVector.zero(S), c2_1 = FloatVector.zero(S);
        FloatVector c3_0 = FloatVector.zero(S), c3_1 = FloatVector.zero(S);
        FloatVector c4_0 = FloatVector.zero(S), c4_1 = FloatVector.zero(S);
        FloatVector c5_0 = FloatVector.zero(S), c5_1 = FloatVector.zero(S);
        FloatVector c6_0 = FloatVector.zero(S), c6_1 = FloatVector.zero(S);
        FloatVector c7_0 = FloatVector.zero(S), c7_1 = FloatVector.zero(S);
        FloatVector c8_0 = FloatVector.zero(S), c8_1 = FloatVector.zero(S);
        FloatVector c9_0 = FloatVector.zero(S), c9_1 = FloatVector.zero(S);
        FloatVector c10_0 = FloatVector.zero(S), c10_1 = FloatVector.zero(S);
        FloatVector c11_0 = FloatVector.zero(S), c11_1 = FloatVector.zero(S);
        int k = 0;
        for (; k + 1 < kc; k += 2) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 16);
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            c0_0 = av.fma(b0, c0_0); c0_1 = av.fma(b1, c0_1);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = av.fma(b0, c1_0); c1_1 = av.fma(b1, c1_1);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = av.fma(b0, c2_0); c2_1 = av.fma(b1, c2_1);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = av.fma(b0, c3_0); c3_1 = av.fma(b1, c3_1);
            av = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = av.fma(b0, c4_0); c4_1 = av.fma(b1, c4_1);
            av = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = av.fma(b0, c5_0); c5_1 = av.fma(b1, c5_1);
            av = FloatVector.broadcast(S, a[ao + 6]);
            c6_0 = av.fma(b0, c6_0); c6_1 = av.fma(b1, c6_1);
            av = FloatVector.broadcast(S, a[ao + 7]);
            c7_0 = av.fma(b0, c7_0); c7_1 = av.fma(b1, c7_1);
            av = FloatVector.broadcast(S, a[ao + 8]);
            c8_0 = av.fma(b0, c8_0); c8_1 = av.fma(b1, c8_1);
            av = FloatVector.broadcast(S, a[ao + 9]);
            c9_0 = av.fma(b0, c9_0); c9_1 = av.fma(b1, c9_1);
            av = FloatVector.broadcast(S, a[ao + 10]);
            c10_0 = av.fma(b0, c10_0); c10_1 = av.fma(b1, c10_1);
            av = FloatVector.broadcast(S, a[ao + 11]);
            c11_0 = av.fma(b0, c11_0); c11_1 = av.fma(b1, c11_1);
            b0 = FloatVector.fromArray(S, b, bo + 32); b1 = FloatVector.fromArray(S, b, bo + 48);
            av = FloatVector.broadcast(S, a[ao + 12]);
            c0_0 = av.fma(b0, c0_0); c0_1 = av.fma(b1, c0_1);
            av = FloatVector.broadcast(S, a[ao + 13]);
            c1_0 = av.fma(b0, c1_0); c1_1 = av.fma(b1, c1_1);
            av = FloatVector.broadcast(S, a[ao + 14]);
            c2_0 = av.fma(b0, c2_0); c2_1 = av.fma(b1, c2_1);
            av = FloatVector.broadcast(S, a[ao + 15]);
            c3_0 = av.fma(b0, c3_0); c3_1 = av.fma(b1, c3_1);
            av = FloatVector.broadcast(S, a[ao + 16]);
            c4_0 = av.fma(b0, c4_0); c4_1 = av.fma(b1, c4_1);
            av = FloatVector.broadcast(S, a[ao + 17]);
            c5_0 = av.fma(b0, c5_0); c5_1 = av.fma(b1, c5_1);
            av = FloatVector.broadcast(S, a[ao + 18]);
            c6_0 = av.fma(b0, c6_0); c6_1 = av.fma(b1, c6_1);
            av = FloatVector.broadcast(S, a[ao + 19]);
            c7_0 = av.fma(b0, c7_0); c7_1 = av.fma(b1, c7_1);
            av = FloatVector.broadcast(S, a[ao + 20]);
            c8_0 = av.fma(b0, c8_0); c8_1 = av.fma(b1, c8_1);
            av = FloatVector.broadcast(S, a[ao + 21]);
            c9_0 = av.fma(b0, c9_0); c9_1 = av.fma(b1, c9_1);
            av = FloatVector.broadcast(S, a[ao + 22]);
            c10_0 = av.fma(b0, c10_0); c10_1 = av.fma(b1, c10_1);
            av = FloatVector.broadcast(S, a[ao + 23]);
            c11_0 = av.fma(b0, c11_0); c11_1 = av.fma(b1, c11_1);
            ao += 24;
            bo += 64;
        }
        if (k < kc) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + 16);
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            c0_0 = av.fma(b0, c0_0); c0_1 = av.fma(b1, c0_1);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c1_0 = av.fma(b0, c1_0); c1_1 = av.fma(b1, c1_1);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c2_0 = av.fma(b0, c2_0); c2_1 = av.fma(b1, c2_1);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c3_0 = av.fma(b0, c3_0); c3_1 = av.fma(b1, c3_1);
            av = FloatVector.broadcast(S, a[ao + 4]);
            c4_0 = av.fma(b0, c4_0); c4_1 = av.fma(b1, c4_1);
            av = FloatVector.broadcast(S, a[ao + 5]);
            c5_0 = av.fma(b0, c5_0); c5_1 = av.fma(b1, c5_1);
            av = FloatVector.broadcast(S, a[ao + 6]);
            c6_0 = av.fma(b0, c6_0); c6_1 = av.fma(b1, c6_1);
            av = FloatVector.broadcast(S, a[ao + 7]);
            c7_0 = av.fma(b0, c7_0); c7_1 = av.fma(b1, c7_1);
            av = FloatVector.broadcast(S, a[ao + 8]);
            c8_0 = av.fma(b0, c8_0); c8_1 = av.fma(b1, c8_1);
            av = FloatVector.broadcast(S, a[ao + 9]);
            c9_0 = av.fma(b0, c9_0); c9_1 = av.fma(b1, c9_1);
            av = FloatVector.broadcast(S, a[ao + 10]);
            c10_0 = av.fma(b0, c10_0); c10_1 = av.fma(b1, c10_1);
            av = FloatVector.broadcast(S, a[ao + 11]);
            c11_0 = av.fma(b0, c11_0); c11_1 = av.fma(b1, c11_1);
        }
        c0_0.intoArray(tile, 0);
        c0_1.intoArray(tile, 16);
        c1_0.intoArray(tile, 32);
        c1_1.intoArray(tile, 48);
        c2_0.intoArray(tile, 64);
        c2_1.intoArray(tile, 80);
        c3_0.intoArray(tile, 96);
        c3_1.intoArray(tile, 112);
        c4_0.intoArray(tile, 128);
        c4_1.intoArray(tile, 144);
        c5_0.intoArray(tile, 160);
        c5_1.intoArray(tile, 176);
        c6_0.intoArray(tile, 192);
        c6_1.intoArray(tile, 208);
        c7_0.intoArray(tile, 224);
        c7_1.intoArray(tile, 240);
        c8_0.intoArray(tile, 256);
        c8_1.intoArray(tile, 272);
        c9_0.intoArray(tile, 288);
        c9_1.intoArray(tile, 304);
        c10_0.intoArray(tile, 320);
        c10_1.intoArray(tile, 336);
        c11_0.intoArray(tile, 352);
        c11_1.intoArray(tile, 368);
    }


    @Override
    void addTile(float[] tile, MemorySegment c, long[] cRows, int row, long cCol, boolean load) {
        for (int r = 0; r < 12; r++) {
            long off = cRows[row + r] + cCol;
            FloatVector v0 = FloatVector.fromArray(S, tile, r * 32), v1 = FloatVector.fromArray(S, tile, r * 32 + 16);
            if (load) {
                v0 = v0.add(FloatVector.fromMemorySegment(S, c, off, LE));
                v1 = v1.add(FloatVector.fromMemorySegment(S, c, off + 64, LE));
            }
            v0.intoMemorySegment(c, off, LE);
            v1.intoMemorySegment(c, off + 64, LE);
        }
    }
}
