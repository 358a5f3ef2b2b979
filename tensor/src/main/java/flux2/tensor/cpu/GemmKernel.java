package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * A register-blocked micro-kernel of the blocked product: C[mr, nr] (+)= A panel [kc x mr] x B panel [kc x nr],
 * both packed k-major. One implementation per vector width, each with its own register blocking and cache
 * blocking; {@link #PREFERRED} is the one for the width the Vector API picks on this machine
 * ({@code FloatVector.SPECIES_PREFERRED}), chosen once at start-up.
 *
 * <p>The kernels run on heap arrays only and leave their result in a heap tile (row r at {@code r * nr});
 * {@link #addTile} moves it into C. Each implementation fixes its species as a constant, which the Vector API
 * needs to compile the loops into vector instructions.
 */
abstract sealed class GemmKernel permits GemmKernel6x16, GemmKernel12x32 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** 256-bit vectors (AVX2): 6 rows x 2 vectors of 8. */
    static final GemmKernel AVX2 = new GemmKernel6x16();
    /** 512-bit vectors (AVX-512): 12 rows x 2 vectors of 16. */
    static final GemmKernel AVX512 = new GemmKernel12x32();
    /** The kernel for the vector width of this machine. */
    static final GemmKernel PREFERRED = forVectorBits(FloatVector.SPECIES_PREFERRED.vectorBitSize());
    /** The largest tile of any kernel, in floats. */
    static final int MAX_TILE = 12 * 32;

    /** Rows of A (and C) per tile. */
    final int mr;
    /** Columns of B (and C) per tile. */
    final int nr;

    /** Cache blocking measured or chosen for this kernel. */
    final GemmBlocked.Blocking blocking;

    GemmKernel(int mr, int nr, int mc, int kc, int nc) {
        this.mr = mr;
        this.nr = nr;
        this.blocking = new GemmBlocked.Blocking(this, mc, kc, nc);
    }

    /** The kernel for vectors of {@code bits} bits: the 512-bit one from 512 up, else the 256-bit one. */
    static GemmKernel forVectorBits(int bits) {
        return bits >= 512 ? AVX512 : AVX2;
    }

    /** Multiplies the packed panels and stores the mr x nr product into {@code tile}. */
    abstract void kernel(int kc, float[] a, int ao, float[] b, int bo, float[] tile);

    /**
     * Writes a full tile into C, whose rows start at byte {@code cRows[row + r] + cCol} and are contiguous;
     * with {@code load} the tile is added to what C holds, else it replaces it.
     */
    abstract void addTile(float[] tile, MemorySegment c, long[] cRows, int row, long cCol, boolean load);

    /**
     * Reads one float of each row of a C tile and returns their sum, which the caller must keep. Java has no
     * prefetch; issuing these loads before the kernel lets the C lines arrive while it runs, instead of
     * stalling {@link #addTile} (measured: about 10-15% at 2048^3, where C does not fit in L2).
     */
    final float touchTile(MemorySegment c, long[] cRows, int row, long cCol) {
        float s = 0;
        for (int r = 0; r < mr; r++) s += c.get(F, cRows[row + r] + cCol);
        return s;
    }

    @Override
    public String toString() { return mr + "x" + nr; }
}
