package flux2.tensor.cpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.RowNormDims;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * LayerNorm, RMSNorm and GroupNorm in FP32 whatever the input dtype, with statistics in double (two passes
 * for variances, biased as PyTorch's). Rotary embeddings live in {@link CpuRope}.
 */
final class CpuNorms {
    private static final int BLOCK = 4096;
    private static final int SLOT_IN = 3, SLOT_OUT = 4;

    private CpuNorms() {}

    static void layerNorm(RowNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        rowNorm(dims, true, x, w, b, out);
    }

    static void rmsNorm(RowNormDims dims, Tensor x, Tensor w, Tensor out) {
        rowNorm(dims, false, x, w, null, out);
    }

    /**
     * Normalizes each row of the last axis: LayerNorm ((x - mean) / sqrt(var + eps)) when {@code centered},
     * else RMSNorm (x / sqrt(mean(x^2) + eps)); then times weight plus bias where given.
     */
    private static void rowNorm(RowNormDims dims, boolean centered, Tensor x, Tensor w, Tensor b, Tensor out) {
        if (x.numel() == 0) return;
        int r = x.rank();
        int n = dims.width();
        double eps = dims.eps();
        MemorySegment ws = w == null ? null : FloatRows.vector(w, n);
        MemorySegment bs = b == null ? null : FloatRows.vector(b, n);
        if (ws != null || bs != null) {
            // The weighted kernel takes both vectors; stand in ones or zeros for the missing one.
            if (ws == null) ws = constant(n, 1f);
            if (bs == null) bs = constant(n, 0f);
        }
        MemorySegment wf = ws, bf = bs;
        long xi = x.stride(-1), oi = out.stride(-1);
        Dims lead = Dims.of(Arrays.copyOf(x.shape(), r - 1), Arrays.copyOf(x.strides(), r - 1), Arrays.copyOf(out.strides(), r - 1));
        RowTasks.forRows(lead.count(), 3L * n, row -> {
            long xe = x.offset() + lead.offset(0, row), oe = out.offset() + lead.offset(1, row);
            MemorySegment xm = x.segment();
            long xb = xe * 4;
            if (!FloatRows.direct(x.dtype(), xi)) {
                xm = Scratch.floats(SLOT_IN, n);
                xb = 0;
                FloatRows.gather(x.segment(), x.dtype(), xe, xi, n, xm);
            }
            double mean = 0, var;
            if (centered) {
                mean = VecReduce.sum(xm, xb, n) / n;
                var = VecReduce.sumSquaredDeviations(xm, xb, n, mean) / n;
            } else {
                var = VecReduce.sumSquares(xm, xb, n) / n;
            }
            float rstd = (float) (1 / Math.sqrt(var + eps));
            boolean outDirect = FloatRows.direct(out.dtype(), oi);
            MemorySegment om = outDirect ? out.segment() : Scratch.floats(SLOT_OUT, n);
            long ob = outDirect ? oe * 4 : 0;
            if (wf == null) VecKernels.normalize(xm, xb, mean, rstd, 0f, om, ob, n);
            else VecKernels.normalize(xm, xb, mean, rstd, wf, bf, om, ob, n);
            if (!outDirect) FloatRows.scatter(om, out.segment(), out.dtype(), oe, oi, n);
        });
    }

    private static MemorySegment constant(int n, float v) {
        MemorySegment m = MemorySegment.ofArray(new byte[n * 4]);
        for (int i = 0; i < n; i++) m.set(FloatRows.F, i * 4L, v);
        return m;
    }

    /**
     * GroupNorm of x [N, C, *spatial]: for each sample and each of {@code groups} groups of C/groups channels,
     * mean and variance over those channels and all positions; then a per-channel weight and bias.
     */
    static void groupNorm(GroupNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) {
        if (x.numel() == 0) return;
        int nb = dims.batch(), c = dims.channels(), groups = dims.groups();
        double eps = dims.eps();
        MemorySegment ws = w == null ? null : FloatRows.vector(w, c);
        MemorySegment bs = b == null ? null : FloatRows.vector(b, c);
        int r = x.rank();
        Dims plane = Dims.of(Arrays.copyOfRange(x.shape(), 2, r), Arrays.copyOfRange(x.strides(), 2, r), Arrays.copyOfRange(out.strides(), 2, r));
        long spatial = plane.count();
        int perGroup = c / groups;
        long count = perGroup * spatial;
        RowTasks.forRows((long) nb * groups, 3 * count, item -> {
            int n = (int) (item / groups), g = (int) (item % groups);
            double sum = 0;
            for (int ch = g * perGroup; ch < (g + 1) * perGroup; ch++) sum += planeSum(x, base(x, n, ch), plane, 0, false);
            double mean = sum / count;
            double sq = 0;
            for (int ch = g * perGroup; ch < (g + 1) * perGroup; ch++) sq += planeSum(x, base(x, n, ch), plane, mean, true);
            double rstd = 1 / Math.sqrt(sq / count + eps);
            for (int ch = g * perGroup; ch < (g + 1) * perGroup; ch++) {
                float scale = (float) (rstd * (ws == null ? 1 : ws.get(FloatRows.F, ch * 4L)));
                float shift = bs == null ? 0f : bs.get(FloatRows.F, ch * 4L);
                planeOut(x, base(x, n, ch), plane, mean, scale, shift, out, base(out, n, ch));
            }
        });
    }

    private static long base(Tensor t, int n, int ch) {
        return t.offset() + n * t.stride(0) + ch * t.stride(1);
    }

    /** Sum of x (or of (x - mean)^2 when {@code squares}) over one channel's positions. */
    private static double planeSum(Tensor x, long base, Dims plane, double mean, boolean squares) {
        double acc = 0;
        int n = plane.rowLength();
        long inner = plane.inner(0);
        boolean direct = FloatRows.direct(x.dtype(), inner);
        for (long row = 0, rows = plane.rows(); row < rows; row++) {
            long start = base + plane.rowOffset(0, row);
            for (int b0 = 0; b0 < n; b0 += BLOCK) {
                int m = Math.min(BLOCK, n - b0);
                MemorySegment seg = x.segment();
                long off = (start + b0 * inner) * 4;
                if (!direct) {
                    seg = Scratch.floats(SLOT_IN, m);
                    off = 0;
                    FloatRows.gather(x.segment(), x.dtype(), start + b0 * inner, inner, m, seg);
                }
                acc += squares ? VecReduce.sumSquaredDeviations(seg, off, m, mean) : VecReduce.sum(seg, off, m);
            }
        }
        return acc;
    }

    /** out = (x - mean) * scale + shift over one channel's positions. */
    private static void planeOut(Tensor x, long xBase, Dims plane, double mean, float scale, float shift, Tensor out, long oBase) {
        int n = plane.rowLength();
        long xi = plane.inner(0), oi = plane.inner(1);
        for (long row = 0, rows = plane.rows(); row < rows; row++) {
            long xs = xBase + plane.rowOffset(0, row), os = oBase + plane.rowOffset(1, row);
            for (int b0 = 0; b0 < n; b0 += BLOCK) {
                int m = Math.min(BLOCK, n - b0);
                MemorySegment seg = x.segment();
                long off = (xs + b0 * xi) * 4;
                if (!FloatRows.direct(x.dtype(), xi)) {
                    seg = Scratch.floats(SLOT_IN, m);
                    off = 0;
                    FloatRows.gather(x.segment(), x.dtype(), xs + b0 * xi, xi, m, seg);
                }
                if (FloatRows.direct(out.dtype(), oi)) {
                    VecKernels.normalize(seg, off, mean, scale, shift, out.segment(), (os + b0 * oi) * 4, m);
                } else {
                    MemorySegment buf = Scratch.floats(SLOT_OUT, m);
                    VecKernels.normalize(seg, off, mean, scale, shift, buf, 0, m);
                    FloatRows.scatter(buf, out.segment(), out.dtype(), os + b0 * oi, oi, m);
                }
            }
        }
    }
}
