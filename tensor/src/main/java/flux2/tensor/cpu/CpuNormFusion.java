package flux2.tensor.cpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.ModulationDims;
import flux2.tensor.ops.NormBackwardDims;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The modulated LayerNorm of FLUX.2 ((1 + scale) * LN(x) + shift) in one pass over each row, and the
 * backward of every row norm (LayerNorm, RMSNorm, modulated LayerNorm) from x and dOut alone, with row
 * statistics in double as {@link CpuNorms} takes them.
 */
final class CpuNormFusion {
    private static final int SLOT_A = 0, SLOT_C = 1, SLOT_G = 2, SLOT_IN = 3, SLOT_OUT = 4;
    /** Columns per task of the parameter-gradient sums. */
    private static final int COLUMN_BLOCK = 512;

    private CpuNormFusion() {}

    static void modulatedLayerNorm(ModulationDims dims, Tensor x, Tensor shift, Tensor scale, Tensor out) {
        if (x.numel() == 0) return;
        int n = dims.width();
        long groupRows = dims.groupRows();
        Dims lead = lead(x, out);
        Dims mod = lead(shift, scale);
        RowTasks.forRows(dims.rows(), 4L * n, row -> {
            MemorySegment xm = Scratch.floats(SLOT_IN, n);
            FloatRows.gather(x.segment(), x.dtype(), x.offset() + lead.offset(0, row), x.stride(-1), n, xm);
            double mean = VecReduce.sum(xm, 0, n) / n;
            float rstd = (float) (1 / Math.sqrt(VecReduce.sumSquaredDeviations(xm, 0, n, mean) / n + dims.eps()));
            long m = row / groupRows;
            MemorySegment a = onePlus(scale, mod.offset(1, m), n, SLOT_A);
            MemorySegment c = Scratch.floats(SLOT_C, n);
            FloatRows.gather(shift.segment(), shift.dtype(), shift.offset() + mod.offset(0, m), shift.stride(-1), n, c);
            MemorySegment om = Scratch.floats(SLOT_OUT, n);
            VecKernels.normalize(xm, 0, mean, rstd, a, c, om, 0, n);
            FloatRows.scatter(om, out.segment(), out.dtype(), out.offset() + lead.offset(1, row), out.stride(-1), n);
        });
    }

    /** dx, and the per-group sums of dOut * xhat (dw) and of dOut (db); see {@link NormBackwardDims}. */
    static void backward(NormBackwardDims dims, Tensor x, Tensor w, Tensor g, Tensor dx, Tensor dw, Tensor db) {
        if (x.numel() == 0) return;
        int n = dims.width();
        long rows = dims.rows(), groupRows = dims.groupRows();
        Dims lead = lead(x, g);
        Dims wl = w == null ? null : lead(w, w);
        double[] mean = new double[Math.toIntExact(rows)], rstd = new double[mean.length];
        RowTasks.forRows(rows, 6L * n, row -> {
            MemorySegment xm = row(x, lead, 0, row, n, SLOT_IN);
            double mu = dims.centered() ? VecReduce.sum(xm, 0, n) / n : 0;
            double var = dims.centered() ? VecReduce.sumSquaredDeviations(xm, 0, n, mu) / n : VecReduce.sumSquares(xm, 0, n) / n;
            double rs = 1 / Math.sqrt(var + dims.eps());
            mean[(int) row] = mu;
            rstd[(int) row] = rs;
            if (dx == null) return;
            MemorySegment gm = row(g, lead, 1, row, n, SLOT_G);
            MemorySegment a = w == null ? null
                    : dims.onePlusWeight() ? onePlus(w, wl.offset(0, row / groupRows), n, SLOT_A) : row(w, wl, 0, row / groupRows, n, SLOT_A);
            double sg = 0, sgx = 0;
            for (int i = 0; i < n; i++) {
                double ga = gm.get(FloatRows.F, i * 4L) * (a == null ? 1 : a.get(FloatRows.F, i * 4L));
                sg += ga;
                sgx += ga * (xm.get(FloatRows.F, i * 4L) - mu) * rs;
            }
            double mg = dims.centered() ? sg / n : 0, mgx = sgx / n;
            MemorySegment om = Scratch.floats(SLOT_OUT, n);
            for (int i = 0; i < n; i++) {
                double ga = gm.get(FloatRows.F, i * 4L) * (a == null ? 1 : a.get(FloatRows.F, i * 4L));
                double xhat = (xm.get(FloatRows.F, i * 4L) - mu) * rs;
                om.set(FloatRows.F, i * 4L, (float) (rs * (ga - mg - xhat * mgx)));
            }
            FloatRows.scatter(om, dx.segment(), dx.dtype(), dx.offset() + row * n, 1, n);
        });
        if (dw == null && db == null) return;
        long groups = dims.groups();
        int blocks = (n + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        RowTasks.forRows(groups * blocks, 3L * groupRows * COLUMN_BLOCK, task -> {
            long m = task / blocks;
            int c0 = (int) (task % blocks) * COLUMN_BLOCK, len = Math.min(COLUMN_BLOCK, n - c0);
            double[] sw = new double[len], sb = new double[len];
            MemorySegment xm = Scratch.floats(SLOT_IN, len), gm = Scratch.floats(SLOT_G, len);
            for (long row = m * groupRows; row < (m + 1) * groupRows; row++) {
                FloatRows.gather(x.segment(), x.dtype(), x.offset() + lead.offset(0, row) + c0 * x.stride(-1), x.stride(-1), len, xm);
                FloatRows.gather(g.segment(), g.dtype(), g.offset() + lead.offset(1, row) + c0 * g.stride(-1), g.stride(-1), len, gm);
                double mu = mean[(int) row], rs = rstd[(int) row];
                for (int i = 0; i < len; i++) {
                    double gv = gm.get(FloatRows.F, i * 4L);
                    sb[i] += gv;
                    sw[i] += gv * (xm.get(FloatRows.F, i * 4L) - mu) * rs;
                }
            }
            for (int i = 0; i < len; i++) {
                long at = m * n + c0 + i;
                if (dw != null) dw.segment().set(FloatRows.F, (dw.offset() + at) * 4, (float) sw[i]);
                if (db != null) db.segment().set(FloatRows.F, (db.offset() + at) * 4, (float) sb[i]);
            }
        });
    }

    /** The leading axes (all but the last) of two operands of one shape, for row offsets. */
    private static Dims lead(Tensor a, Tensor b) {
        int r = a.rank();
        return Dims.of(Arrays.copyOf(a.shape(), r - 1), Arrays.copyOf(a.strides(), r - 1), Arrays.copyOf(b.strides(), r - 1));
    }

    /** Row {@code row} of t (operand k of {@code lead}) as dense F32 in a scratch slot. */
    private static MemorySegment row(Tensor t, Dims lead, int k, long row, int n, int slot) {
        MemorySegment m = Scratch.floats(slot, n);
        FloatRows.gather(t.segment(), t.dtype(), t.offset() + lead.offset(k, row), t.stride(-1), n, m);
        return m;
    }

    /** 1 + the row of t at element offset {@code at} (from t's own offset), as dense F32 in a scratch slot. */
    private static MemorySegment onePlus(Tensor t, long at, int n, int slot) {
        MemorySegment m = Scratch.floats(slot, n);
        FloatRows.gather(t.segment(), t.dtype(), t.offset() + at, t.stride(-1), n, m);
        for (int i = 0; i < n; i++) m.set(FloatRows.F, i * 4L, 1 + m.get(FloatRows.F, i * 4L));
        return m;
    }
}
