package flux2.tensor.cpu;

/**
 * Per-thread scratch of the matmul kernels: pack buffers, staging rows and the kernel tile. Buffers grow on
 * demand and are kept for the life of the thread, so steady-state calls allocate nothing.
 */
final class GemmScratch {
    /**
     * Spare floats after every pack buffer. C2 hoists range checks out of the kernel loop using the largest
     * index it will touch; a buffer that is exactly full fails that check, deoptimizes the kernel and leaves
     * slower code for the rest of the run.
     */
    static final int SLACK = 4096;

    private static final ThreadLocal<GemmScratch> LOCAL = ThreadLocal.withInitial(GemmScratch::new);

    /** The kernel's result tile, row r at r * nr (large enough for every kernel). */
    final float[] tile = new float[GemmKernel.MAX_TILE];
    /** Where {@link GemmKernel#touchTile} sums go, so that the JIT keeps the loads. */
    float sink;
    private float[] aPack = new float[0];
    private float[] bPack = new float[0];
    private float[] stage = new float[0];
    private float[] blockA = new float[0];
    private float[] blockB = new float[0];
    private float[] row = new float[0];

    private GemmScratch() {}

    static GemmScratch get() { return LOCAL.get(); }

    /** Buffer for packed A blocks, at least {@code n} floats plus slack. */
    float[] aPack(int n) { return aPack = grow(aPack, n); }

    /** Buffer for packed B blocks (shared with the other threads by the thread that drives a product). */
    float[] bPack(int n) { return bPack = grow(bPack, n); }

    /** Packed A of a {@link BlockGemm} product. */
    float[] blockA(int n) { return blockA = grow(blockA, n); }

    /** Packed B of a {@link BlockGemm} product. */
    float[] blockB(int n) { return blockB = grow(blockB, n); }

    /** Staging buffer for rows being packed. */
    float[] stage(int n) { return stage = grow(stage, n); }

    /** A second staging buffer (rows of results in the direct path). */
    float[] row(int n) { return row = grow(row, n); }

    private static float[] grow(float[] buf, int n) {
        return buf.length >= n + SLACK ? buf : new float[Math.addExact(n, SLACK)];
    }
}
