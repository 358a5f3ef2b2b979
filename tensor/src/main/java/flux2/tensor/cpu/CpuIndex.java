package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.IndexAxis;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** Gather (index_select) and scatter-add (index_add_) along one axis, for any strides and dtypes. */
final class CpuIndex {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private CpuIndex() {}

    /** out = x.index_select(dim, index). */
    static void indexSelect(IndexAxis ix, Tensor x, Tensor out) {
        if (out.numel() == 0) return;
        int d = ix.axis();
        long[] idx = ix.indices();
        Parallel.RangeBody body = (w, s, e) -> {
            for (long i = s; i < e; i++) CpuCopy.copy(x.select(d, (int) idx[(int) i]), out.select(d, (int) i));
        };
        // Many slices: split them over threads. Fewer slices than threads: each copy splits its own rows.
        if (idx.length >= Parallel.threads()) Parallel.forRange(idx.length, 1, body);
        else body.run(0, 0, idx.length);
    }

    /** dst.index_add_(dim, index, src): dst[.., index[i], ..] += src[.., i, ..]; repeated indices accumulate. */
    static void indexAdd(IndexAxis ix, Tensor dst, Tensor src) {
        if (src.numel() == 0) return;
        int d = ix.axis();
        long[] idx = ix.indices();
        // Group positions by target so that each target slice is updated by one thread, in index order.
        Integer[] order = new Integer[idx.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(idx[a], idx[b]));
        int[] groupStart = new int[order.length + 1];
        int groups = 0;
        for (int i = 0; i < order.length; i++) if (i == 0 || idx[order[i]] != idx[order[i - 1]]) groupStart[groups++] = i;
        groupStart[groups] = order.length;
        int groupCount = groups;
        Parallel.RangeBody body = (w, s, e) -> {
            for (long gi = s; gi < e; gi++) {
                int from = groupStart[(int) gi], to = groupStart[(int) gi + 1];
                Tensor target = dst.select(d, (int) idx[order[from]]);
                for (int j = from; j < to; j++) addInto(target, src.select(d, order[j]));
            }
        };
        if (groupCount >= Parallel.threads()) Parallel.forRange(groupCount, 1, body);
        else body.run(0, 0, groupCount);
    }

    /** target += src, elementwise over equal shapes, row by row. */
    private static void addInto(Tensor target, Tensor src) {
        int[] shape = target.shape();
        long rows = Strided.rows(shape);
        int n = Strided.rowLength(shape);
        long[] ts = target.strides(), ss = src.strides();
        long ti = shape.length == 0 ? 1 : ts[shape.length - 1], si = shape.length == 0 ? 1 : ss[shape.length - 1];
        MemorySegment tm = target.segment(), sm = src.segment();
        DType tt = target.dtype(), st = src.dtype();
        Parallel.forRange(rows, Math.max(1, 16384 / Math.max(n, 1)), (w, r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long to = target.offset() + Strided.rowOffset(shape, ts, r);
                long so = src.offset() + Strided.rowOffset(shape, ss, r);
                if (tt == DType.F32 && st == DType.F32) {
                    for (int i = 0; i < n; i++) {
                        long t = (to + i * ti) * Float.BYTES;
                        tm.set(F, t, tm.get(F, t) + sm.get(F, (so + i * si) * Float.BYTES));
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        long t = to + i * ti;
                        CpuCopy.writeDouble(tm, tt, t, (float) (CpuCopy.readDouble(tm, tt, t) + CpuCopy.readDouble(sm, st, so + i * si)));
                    }
                }
            }
        });
    }
}
