package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.MatmulDims;
import java.util.Arrays;

/**
 * Batched matmul over strided operands (see {@link flux2.tensor.Backend#matmul}). A batch whose B is shared
 * (2-D or zero batch strides, as for a Linear weight) is folded into the rows of one product; otherwise each
 * batch is its own product. Each product runs the blocked kernel, or the direct one when it is too small to
 * repay packing.
 */
final class CpuMatmul {
    /** Which product algorithm to use; tests force one to cover both on small shapes. */
    enum Path { AUTO, DIRECT, BLOCKED }

    /** Products with at most this many rows are matrix-vector-like: reading B in place beats packing it. */
    static final int DIRECT_MAX_ROWS = GemmDirect.GROUP;
    /** Products with at most this many multiply-adds skip packing too. */
    static final long DIRECT_MAX_WORK = 1L << 15;
    /** Per-batch multiply-adds above which batches run one after the other, each on all threads. */
    private static final long BATCH_SERIAL_WORK = 1L << 24;

    private CpuMatmul() {}

    static void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate) {
        matmul(dims, a, b, out, accumulate, Path.AUTO, GemmBlocked.Blocking.preferred());
    }

    static void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate, Path path, GemmBlocked.Blocking blocking) {
        int r = out.rank();
        int m = dims.m(), n = dims.n(), k = dims.k();
        if (m == 0 || n == 0 || out.numel() == 0) return;
        if (k == 0) {
            if (!accumulate) CpuCopy.fill(out, 0);
            return;
        }
        int[] batch = dims.batch();
        long[] bStrides = b.rank() == r ? Arrays.copyOf(b.strides(), r - 2) : new long[r - 2];
        boolean sharedB = true;
        for (int d = 0; d < batch.length; d++) if (batch[d] != 1 && bStrides[d] != 0) sharedB = false;
        long batches = 1;
        for (int d : batch) batches *= d;
        int bBytes = b.dtype().byteSize();
        long bRs = b.stride(-2) * bBytes, bCs = b.stride(-1) * bBytes;
        boolean bf16 = b.dtype() == DType.BF16;

        if (sharedB) {
            int rows = Math.toIntExact(batches * m);
            long[] aRows = rowTable(a, batch, 0, batches, m);
            long[] cRows = rowTable(out, batch, 0, batches, m);
            gemm(new GemmArgs(rows, n, k, a.segment(), aRows, a.stride(-1) * 4, b.segment(), b.offset() * bBytes, bRs, bCs, bf16,
                    out.segment(), cRows, out.stride(-1) * 4, accumulate), path, blocking);
            return;
        }
        long perBatch = (long) m * n * k;
        Parallel.RangeBody body = (w, s, e) -> {
            for (long bi = s; bi < e; bi++) {
                long bBase = (b.offset() + batchOffset(batch, b.strides(), bi)) * bBytes;
                gemm(new GemmArgs(m, n, k, a.segment(), rowTable(a, batch, bi, 1, m), a.stride(-1) * 4, b.segment(), bBase, bRs, bCs, bf16,
                        out.segment(), rowTable(out, batch, bi, 1, m), out.stride(-1) * 4, accumulate), path, blocking);
            }
        };
        if (perBatch >= BATCH_SERIAL_WORK || batches < Parallel.threads()) body.run(0, 0, batches);
        else Parallel.forRange(batches, 1, body);
    }

    private static void gemm(GemmArgs g, Path path, GemmBlocked.Blocking blocking) {
        boolean direct = switch (path) {
            case DIRECT -> true;
            case BLOCKED -> false;
            case AUTO -> g.m() <= DIRECT_MAX_ROWS || (long) g.m() * g.n() * g.k() <= DIRECT_MAX_WORK;
        };
        if (direct) GemmDirect.run(g);
        else GemmBlocked.run(g, blocking);
    }

    /** Byte offsets (F32) of rows of t [..., rows, cols] for batches [first, first + count), batch-major. */
    private static long[] rowTable(Tensor t, int[] batch, long first, long count, int rows) {
        long[] table = new long[Math.toIntExact(count * rows)];
        long rs = t.stride(-2);
        long[] strides = t.strides();
        for (long bi = 0; bi < count; bi++) {
            long base = t.offset() + batchOffset(batch, strides, first + bi);
            int o = (int) (bi * rows);
            for (int i = 0; i < rows; i++) table[o + i] = (base + i * rs) * 4;
        }
        return table;
    }

    /** Element offset of flat batch number bi (row-major over batch) for a tensor whose leading strides are given. */
    private static long batchOffset(int[] batch, long[] strides, long bi) {
        long off = 0;
        for (int d = batch.length - 1; d >= 0; d--) {
            off += (bi % batch[d]) * strides[d];
            bi /= batch[d];
        }
        return off;
    }
}
