package flux2.tensor.cpu;

import java.lang.foreign.MemorySegment;

/**
 * One 2-D product C[m, n] = A[m, k] x B[k, n] (+ C when accumulating) over strided memory. Rows of A and C
 * come from offset tables so that broadcast batches can be folded into m; all offsets and strides are in bytes.
 * A and C are F32; B is F32 or BF16.
 */
record GemmArgs(int m, int n, int k,
                MemorySegment a, long[] aRows, long aColStride,
                MemorySegment b, long bBase, long bRowStride, long bColStride, boolean bf16,
                MemorySegment c, long[] cRows, long cColStride,
                boolean accumulate) {

    /** Bytes of one B element. */
    int bElemBytes() { return bf16 ? 2 : 4; }

    /** Byte offset of B[kk, nn]. */
    long bAt(int kk, int nn) { return bBase + kk * bRowStride + nn * bColStride; }

    /** Whether rows of B (fixed k) are contiguous along n. */
    boolean bRowsContiguous() { return bColStride == bElemBytes(); }

    /** Whether columns of B (fixed n) are contiguous along k, as in a transposed Linear weight. */
    boolean bColumnsContiguous() { return bRowStride == bElemBytes(); }

    /** Whether C rows are contiguous along n, so that vector stores can go straight into C. */
    boolean cRowsContiguous() { return cColStride == 4; }
}
