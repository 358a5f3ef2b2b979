package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.ReduceOp;
import flux2.tensor.Tensor;
import flux2.tensor.UnaryOp;
import flux2.tensor.ops.Reduction;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * SUM, MEAN and MAX over any set of axes, ARGMAX over one axis, and softmax over the last axis. Sums are
 * accumulated in double. The axes of x are split into a kept group (one output each) and a reduced group,
 * each simplified with {@link Dims}; when the reduced group ends in a contiguous run each output reduces runs,
 * and when instead the kept group does, whole runs of outputs are accumulated at once ("column" sums, as for a
 * bias gradient summed over the batch).
 */
final class CpuReduce {
    private static final int BLOCK = 4096;
    private static final int COLUMN_BLOCK = 1024;
    private static final long GRAIN = 16 * 1024;
    private static final int SLOT_IN = 3, SLOT_OUT = 4;

    private CpuReduce() {}

    static void reduce(Reduction reduction, Tensor x, Tensor out) {
        ReduceOp op = reduction.op();
        int r = x.rank();
        boolean[] red = new boolean[r];
        for (int a : reduction.axes()) red[a] = true;
        int nk = 0;
        for (boolean b : red) if (!b) nk++;
        int[] kShape = new int[nk], rShape = new int[r - nk];
        long[] kx = new long[nk], ko = new long[nk], rx = new long[r - nk];
        int[] shape = x.shape();
        long[] xs = x.strides(), os = out.strides();
        for (int i = 0, k = 0, j = 0; i < r; i++) {
            if (red[i]) { rShape[j] = shape[i]; rx[j++] = xs[i]; }
            else { kShape[k] = shape[i]; kx[k] = xs[i]; ko[k++] = os[i]; }
        }
        long kCount = numel(kShape), rCount = numel(rShape);
        if (kCount == 0) return;
        if (rCount == 0) {
            // SUM or MEAN: a Reduction of MAX or ARGMAX over nothing is refused when it is made
            CpuCopy.fill(out, op == ReduceOp.SUM ? 0 : Double.NaN);
            return;
        }
        Dims kd = Dims.of(kShape, kx, ko);
        if (op == ReduceOp.ARGMAX) {
            int axis = reduction.axes()[0];
            argmax(x, shape[axis], xs[axis], kd, out);
            return;
        }
        Dims rd = Dims.of(rShape, rx);
        boolean innerRuns = rd.inner(0) == 1 && rd.rowLength() > 1;
        if (!innerRuns && kd.inner(0) == 1 && kd.rowLength() > 1) columns(op, x, kd, rd, out);
        else perOutput(op, x, kd, rd, out);
    }

    private static long numel(int[] s) {
        long n = 1;
        for (int d : s) n *= d;
        return n;
    }

    /** Each output reduces its own elements: runs along the reduced group's last axis. */
    private static void perOutput(ReduceOp op, Tensor x, Dims kd, Dims rd, Tensor out) {
        long kCount = kd.count(), rCount = rd.count();
        if (kCount >= Parallel.threads() || rCount < 2 * GRAIN) {
            RowTasks.forRows(kCount, rCount, k -> {
                long base = x.offset() + kd.offset(0, k);
                double v = op == ReduceOp.MAX ? maxRange(x, base, rd, 0, rCount) : sumRange(x, base, rd, 0, rCount);
                write(out, kd, k, op == ReduceOp.MEAN ? v / rCount : v);
            });
            return;
        }
        // Few outputs over many elements (a full sum, say): split each reduction across the threads.
        double[] partial = new double[Parallel.threads()];
        for (long k = 0; k < kCount; k++) {
            long base = x.offset() + kd.offset(0, k);
            Arrays.fill(partial, op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0);
            Parallel.forRange(rCount, GRAIN, (w, s, e) -> partial[w] = op == ReduceOp.MAX ? maxRange(x, base, rd, s, e) : sumRange(x, base, rd, s, e));
            double v = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0;
            for (double p : partial) v = op == ReduceOp.MAX ? Math.max(v, p) : v + p;
            write(out, kd, k, op == ReduceOp.MEAN ? v / rCount : v);
        }
    }

    /** Sum of the reduced elements with flat indices [s, e) below base. */
    private static double sumRange(Tensor x, long base, Dims rd, long s, long e) {
        double acc = 0;
        int n = rd.rowLength();
        long inner = rd.inner(0);
        long row = s / n;
        int c = (int) (s % n);
        for (long pos = s; pos < e; row++, c = 0) {
            int len = (int) Math.min(n - c, e - pos);
            long start = base + rd.rowOffset(0, row) + c * inner;
            if (FloatRows.direct(x.dtype(), inner)) {
                acc += VecReduce.sum(x.segment(), start * 4, len);
            } else {
                for (int b = 0; b < len; b += BLOCK) {
                    int m = Math.min(BLOCK, len - b);
                    MemorySegment buf = Scratch.floats(SLOT_IN, m);
                    FloatRows.gather(x.segment(), x.dtype(), start + b * inner, inner, m, buf);
                    acc += VecReduce.sum(buf, 0, m);
                }
            }
            pos += len;
        }
        return acc;
    }

    private static double maxRange(Tensor x, long base, Dims rd, long s, long e) {
        float acc = Float.NEGATIVE_INFINITY;
        int n = rd.rowLength();
        long inner = rd.inner(0);
        long row = s / n;
        int c = (int) (s % n);
        for (long pos = s; pos < e; row++, c = 0) {
            int len = (int) Math.min(n - c, e - pos);
            long start = base + rd.rowOffset(0, row) + c * inner;
            if (FloatRows.direct(x.dtype(), inner)) {
                acc = Math.max(acc, VecReduce.max(x.segment(), start * 4, len));
            } else {
                for (int b = 0; b < len; b += BLOCK) {
                    int m = Math.min(BLOCK, len - b);
                    MemorySegment buf = Scratch.floats(SLOT_IN, m);
                    FloatRows.gather(x.segment(), x.dtype(), start + b * inner, inner, m, buf);
                    acc = Math.max(acc, VecReduce.max(buf, 0, m));
                }
            }
            pos += len;
        }
        return acc;
    }

    private static void write(Tensor out, Dims kd, long k, double v) {
        CpuCopy.writeDouble(out.segment(), out.dtype(), out.offset() + kd.offset(1, k), v);
    }

    /**
     * The kept group ends in a contiguous run: for each block of that run, add up the blocks of every reduced
     * position (each a contiguous load) into a row of accumulators.
     */
    private static void columns(ReduceOp op, Tensor x, Dims kd, Dims rd, Tensor out) {
        int nk = kd.rowLength();
        long blocksPerRow = (nk + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        long items = kd.rows() * blocksPerRow;
        long rCount = rd.count();
        int rn = rd.rowLength();
        long rInner = rd.inner(0);
        long xInner = kd.inner(0), oInner = kd.inner(1);
        RowTasks.forRows(items, Math.min(nk, COLUMN_BLOCK) * rCount, item -> {
            long kr = item / blocksPerRow;
            int j0 = (int) (item % blocksPerRow) * COLUMN_BLOCK;
            int len = Math.min(COLUMN_BLOCK, nk - j0);
            long base = x.offset() + kd.rowOffset(0, kr) + j0 * xInner;
            double[] sums = op == ReduceOp.MAX ? null : new double[len];
            float[] maxes = op == ReduceOp.MAX ? new float[len] : null;
            if (maxes != null) Arrays.fill(maxes, Float.NEGATIVE_INFINITY);
            boolean direct = FloatRows.direct(x.dtype(), xInner);
            for (long row = 0, rows = rd.rows(); row < rows; row++) {
                long rowOff = base + rd.rowOffset(0, row);
                for (int c = 0; c < rn; c++) {
                    long start = rowOff + c * rInner;
                    MemorySegment m = x.segment();
                    long off = start * 4;
                    if (!direct) {
                        m = Scratch.floats(SLOT_IN, len);
                        off = 0;
                        FloatRows.gather(x.segment(), x.dtype(), start, xInner, len, m);
                    }
                    if (sums != null) VecReduce.accumulate(sums, m, off, len);
                    else VecReduce.accumulateMax(maxes, m, off, len);
                }
            }
            MemorySegment buf = Scratch.floats(SLOT_OUT, len);
            for (int j = 0; j < len; j++) {
                float v = sums == null ? maxes[j] : (float) (op == ReduceOp.MEAN ? sums[j] / rCount : sums[j]);
                buf.set(FloatRows.F, j * 4L, v);
            }
            FloatRows.scatter(buf, out.segment(), out.dtype(), out.offset() + kd.rowOffset(1, kr) + j0 * oInner, oInner, len);
        });
    }

    /** Index of the first maximum along one axis (NaN counts as the maximum, as in PyTorch). */
    private static void argmax(Tensor x, int n, long stride, Dims kd, Tensor out) {
        MemorySegment m = x.segment();
        DType dt = x.dtype();
        RowTasks.forRows(kd.count(), n, k -> {
            long base = x.offset() + kd.offset(0, k);
            float best = FloatRows.read(m, dt, base);
            int at = 0;
            for (int i = 1; i < n && !Float.isNaN(best); i++) {
                float v = FloatRows.read(m, dt, base + i * stride);
                if (v > best || Float.isNaN(v)) {
                    best = v;
                    at = i;
                }
            }
            CpuCopy.writeLong(out.segment(), out.dtype(), out.offset() + kd.offset(1, k), at);
        });
    }

    /** Softmax over the last axis: exp(x - max) / sum, with the sum in double. */
    static void softmax(Tensor x, Tensor out) {
        if (x.numel() == 0) return;
        int r = x.rank();
        int n = r == 0 ? 1 : x.size(-1);
        long xi = r == 0 ? 1 : x.stride(-1), oi = r == 0 ? 1 : out.stride(-1);
        Dims lead = Dims.of(Arrays.copyOf(x.shape(), Math.max(r - 1, 0)), Arrays.copyOf(x.strides(), Math.max(r - 1, 0)),
                Arrays.copyOf(out.strides(), Math.max(r - 1, 0)));
        RowTasks.forRows(lead.count(), 4L * n, row -> {
            long xe = x.offset() + lead.offset(0, row), oe = out.offset() + lead.offset(1, row);
            MemorySegment xm = x.segment();
            long xb = xe * 4;
            if (!FloatRows.direct(x.dtype(), xi)) {
                xm = Scratch.floats(SLOT_IN, n);
                xb = 0;
                FloatRows.gather(x.segment(), x.dtype(), xe, xi, n, xm);
            }
            boolean outDirect = FloatRows.direct(out.dtype(), oi);
            MemorySegment om = outDirect ? out.segment() : Scratch.floats(SLOT_OUT, n);
            long ob = outDirect ? oe * 4 : 0;
            float max = VecReduce.max(xm, xb, n);
            VecKernels.expShifted(xm, xb, max, om, ob, n);
            double sum = VecReduce.sum(om, ob, n);
            VecKernels.unary(UnaryOp.AFFINE, (float) (1 / sum), 0f, om, ob, om, ob, n);
            if (!outDirect) FloatRows.scatter(om, out.segment(), out.dtype(), oe, oi, n);
        });
    }
}
