package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 6x16 register-blocked micro-kernel: C[6, 16] (+)= A panel [kc x 6] x B panel [kc x 16], both packed.
 *
 * <p>The loop form is deliberate: twelve named accumulators, the k loop unrolled twice and offsets bumped
 * rather than computed from k. C2 keeps all accumulators in registers in this form; unrolling further,
 * indexing with k*6/k*16 or a count-down loop make it spill (measured on AVX2, about 2x slower).
 */
final class GemmKernel {
    static final int MR = 6;
    static final int NR = 16;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private GemmKernel() {}

    /**
     * Multiplies the packed panels and writes the 6x16 tile to c: row r starts at byte
     * {@code cRows[row + r] + cCol}, columns are contiguous. With {@code load} the tile is added to what c
     * holds, else it replaces it.
     */
    static void kernel(int kc, float[] a, int ao, float[] b, int bo,
                       MemorySegment c, long[] cRows, int row, long cCol, boolean load) {
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
        store(c, cRows[row] + cCol, c00, c01, load);
        store(c, cRows[row + 1] + cCol, c10, c11, load);
        store(c, cRows[row + 2] + cCol, c20, c21, load);
        store(c, cRows[row + 3] + cCol, c30, c31, load);
        store(c, cRows[row + 4] + cCol, c40, c41, load);
        store(c, cRows[row + 5] + cCol, c50, c51, load);
    }

    private static void store(MemorySegment c, long off, FloatVector v0, FloatVector v1, boolean load) {
        if (load) {
            v0 = v0.add(FloatVector.fromMemorySegment(S, c, off, LE));
            v1 = v1.add(FloatVector.fromMemorySegment(S, c, off + 32, LE));
        }
        v0.intoMemorySegment(c, off, LE);
        v1.intoMemorySegment(c, off + 32, LE);
    }
}
