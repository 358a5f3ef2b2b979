package flux2.tensor.cpu;

import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;

/**
 * Unary and binary elementwise kernels. Operands are walked as rows of a simplified common shape (see
 * {@link Dims}); a row of dense F32 is computed in place, anything else (other dtypes, strides) goes through
 * per-thread F32 buffers in blocks. Zero strides along a row make an operand a scalar for that row.
 */
final class CpuElementwise {
    /** Below this many elements one thread does the work: waking the pool costs more than it saves. */
    static final long PARALLEL_MIN = 32 * 1024;
    /** Elements per piece of parallel work and per block through the scratch buffers. */
    private static final int GRAIN = 16 * 1024;
    private static final int BLOCK = 4096;
    private static final int SLOT_A = 0, SLOT_B = 1, SLOT_OUT = 2;

    private CpuElementwise() {}

    static void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) {
        if (out.numel() == 0) return;
        float q0 = (float) p0, q1 = (float) p1;
        Dims d = Dims.of(out.shape(), x.strides(), out.strides());
        forPieces(d, (row, c0, len) -> {
            long xe = x.offset() + d.rowOffset(0, row), oe = out.offset() + d.rowOffset(1, row);
            long xs = d.inner(0), os = d.inner(1);
            for (int b0 = 0; b0 < len; b0 += BLOCK) {
                int n = Math.min(BLOCK, len - b0);
                long xi = xe + (c0 + b0) * xs, oi = oe + (c0 + b0) * os;
                MemorySegment xm = x.segment();
                long xb = xi * 4;
                if (xs == 0) {
                    // One value for the whole row: compute it once.
                    float v = VecKernels.unary(op, q0, q1, FloatRows.read(xm, x.dtype(), xi));
                    MemorySegment buf = Scratch.floats(SLOT_OUT, n);
                    for (int i = 0; i < n; i++) buf.set(FloatRows.F, i * 4L, v);
                    FloatRows.scatter(buf, out.segment(), out.dtype(), oi, os, n);
                    continue;
                }
                if (!FloatRows.direct(x.dtype(), xs)) {
                    xm = Scratch.floats(SLOT_A, n);
                    xb = 0;
                    FloatRows.gather(x.segment(), x.dtype(), xi, xs, n, xm);
                }
                if (FloatRows.direct(out.dtype(), os)) {
                    VecKernels.unary(op, q0, q1, xm, xb, out.segment(), oi * 4, n);
                } else {
                    MemorySegment buf = Scratch.floats(SLOT_OUT, n);
                    VecKernels.unary(op, q0, q1, xm, xb, buf, 0, n);
                    FloatRows.scatter(buf, out.segment(), out.dtype(), oi, os, n);
                }
            }
        });
    }

    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) return;
        Dims d = Dims.of(out.shape(), a.strides(), b.strides(), out.strides());
        forPieces(d, (row, c0, len) -> {
            long ae = a.offset() + d.rowOffset(0, row), be = b.offset() + d.rowOffset(1, row);
            long oe = out.offset() + d.rowOffset(2, row);
            long as = d.inner(0), bs = d.inner(1), os = d.inner(2);
            for (int b0 = 0; b0 < len; b0 += BLOCK) {
                int n = Math.min(BLOCK, len - b0);
                long ai = ae + (c0 + b0) * as, bi = be + (c0 + b0) * bs, oi = oe + (c0 + b0) * os;
                MemorySegment am = a.segment(), bm = b.segment();
                long ab = ai * 4, bb = bi * 4;
                boolean aScalar = as == 0, bScalar = bs == 0;
                if (aScalar ? a.dtype() != DType.F32 : !FloatRows.direct(a.dtype(), as)) {
                    am = Scratch.floats(SLOT_A, n);
                    ab = 0;
                    FloatRows.gather(a.segment(), a.dtype(), ai, as, aScalar ? 1 : n, am);
                }
                if (bScalar ? b.dtype() != DType.F32 : !FloatRows.direct(b.dtype(), bs)) {
                    bm = Scratch.floats(SLOT_B, n);
                    bb = 0;
                    FloatRows.gather(b.segment(), b.dtype(), bi, bs, bScalar ? 1 : n, bm);
                }
                if (FloatRows.direct(out.dtype(), os)) {
                    VecKernels.binary(op, am, ab, aScalar, bm, bb, bScalar, out.segment(), oi * 4, n);
                } else {
                    MemorySegment buf = Scratch.floats(SLOT_OUT, n);
                    VecKernels.binary(op, am, ab, aScalar, bm, bb, bScalar, buf, 0, n);
                    FloatRows.scatter(buf, out.segment(), out.dtype(), oi, os, n);
                }
            }
        });
    }

    /** A part of one row: columns c0 .. c0+len-1 of row {@code row}. */
    @FunctionalInterface
    interface Piece { void run(long row, int c0, int len); }

    /**
     * Splits rows x rowLength elements into pieces that never cross a row, on several threads when there are
     * enough elements. A long single row (a contiguous tensor) is split across threads too.
     */
    static void forPieces(Dims d, Piece piece) {
        int n = d.rowLength();
        long total = d.rows() * n;
        Parallel.RangeBody body = (w, s, e) -> {
            long row = s / n;
            int c = (int) (s % n);
            long pos = s;
            while (pos < e) {
                int len = (int) Math.min(n - c, e - pos);
                piece.run(row, c, len);
                pos += len;
                row++;
                c = 0;
            }
        };
        if (total < PARALLEL_MIN) body.run(0, 0, total);
        else Parallel.forRange(total, GRAIN, body);
    }
}
