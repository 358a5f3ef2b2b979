package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.IndexAxis;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** indexSelect and indexAdd against explicit loops, on every axis, with strided operands and repeated indices. */
class IndexTest {
    private TensorArena arena;
    private int threads;

    @BeforeEach void open() { arena = TensorArena.open("index-test"); threads = Parallel.threads(); }

    @AfterEach void close() { Parallel.setThreads(threads); arena.close(); }



    private static Tensor index(long[] values, DType dt) {
        Tensor t = Tensor.ofLongs(values, values.length);
        return dt == DType.I64 ? t : t.to(dt);
    }

    @Test void indexSelectEveryAxisAgainstLoop() {
        Random rnd = new Random(1);
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            // A permuted, narrowed source: no axis has unit stride in the natural order.
            Tensor x = TestData.uniform(rnd, DType.F32, -1, 1, 6, 9, 5).permute(2, 0, 1).narrow(2, 1, 7);
            for (int d = 0; d < 3; d++)
                for (DType dt : new DType[]{DType.I64, DType.I32}) {
                    int size = x.size(d);
                    long[] idx = {size - 1, 0, 2 % size, size - 1, 1};
                    int[] shape = x.shape();
                    shape[d] = idx.length;
                    Tensor out = Tensor.zeros(DType.F32, shape);
                    Tensor ix = index(idx, dt);
                    x.backend().indexSelect(IndexAxis.select(x, d, ix).checkOutput(x, out), x, ix, out);
                    for (long e = 0; e < out.numel(); e++) {
                        int[] o = Strided.unravel(shape, e), s = o.clone();
                        s[d] = (int) idx[o[d]];
                        assertEquals(x.get(s), out.get(o), "axis " + d + " at " + Arrays.toString(o));
                    }
                }
        }
    }

    @Test void indexSelectGathersBf16RowsAsF32WithStridedIndex() {
        Random rnd = new Random(2);
        Tensor table = TestData.uniform(rnd, DType.F32, -1, 1, 50, 12).to(DType.BF16);
        Tensor idx = Tensor.ofLongs(new long[]{7, -1, 49, -1, 0, -1, 7, -1}, 8).slice(0, 0, 8, 2);
        Tensor out = Tensor.zeros(DType.F32, 4, 12);
        table.backend().indexSelect(IndexAxis.select(table, 0, idx).checkOutput(table, out), table, idx, out);
        long[] rows = {7, 49, 0, 7};
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 12; j++) assertEquals(table.get((int) rows[i], j), out.get(i, j));
    }

    @Test void indexAddAccumulatesDuplicates() {
        Random rnd = new Random(3);
        for (int t : new int[]{1, 2}) {
            Parallel.setThreads(t);
            for (int d = 0; d < 3; d++) {
                int[] dstShape = {4, 5, 6};
                long[] idx = {1, 3, 1, 1, 0, 3, 2 % dstShape[d], 1};
                int[] srcShape = dstShape.clone();
                srcShape[d] = idx.length;
                Tensor dst = TestData.uniform(rnd, DType.F32, -1, 1, dstShape);
                double[] expect = new double[(int) dst.numel()];
                for (int e = 0; e < expect.length; e++) expect[e] = dst.get(Strided.unravel(dstShape, e));
                // A transposed source view.
                int[] rev = {srcShape[2], srcShape[1], srcShape[0]};
                Tensor src = TestData.uniform(rnd, DType.F32, -1, 1, rev).permute(2, 1, 0);
                for (long e = 0; e < src.numel(); e++) {
                    int[] s = Strided.unravel(srcShape, e), o = s.clone();
                    o[d] = (int) idx[s[d]];
                    int flat = (o[0] * dstShape[1] + o[1]) * dstShape[2] + o[2];
                    expect[flat] += (float) src.get(s);
                }
                Layouts.indexAdd(dst, d, index(idx, DType.I32), src);
                for (int e = 0; e < expect.length; e++)
                    assertEquals(expect[e], dst.get(Strided.unravel(dstShape, e)), 1e-5, "axis " + d + " element " + e);
            }
        }
    }

    @Test void indexAddManyTargetsIsDeterministic() {
        Random rnd = new Random(4);
        long[] idx = new long[300];
        for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(40);
        Tensor src = TestData.uniform(rnd, DType.F32, -1, 1, 300, 8);
        float[][] results = new float[2][];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            Tensor dst = Tensor.zeros(DType.F32, 40, 8);
            Layouts.indexAdd(dst, 0, Tensor.ofLongs(idx, idx.length), src);
            results[t - 1] = dst.toFloatArray();
        }
        assertArrayEquals(results[0], results[1], "sums are added in index order whatever the thread count");
        float[] s = src.toFloatArray();
        for (int r = 0; r < 40; r++) {
            float acc = 0;
            for (int i = 0; i < idx.length; i++) if (idx[i] == r) acc += s[i * 8 + 3];
            assertEquals(acc, results[0][r * 8 + 3], "row " + r);
        }
    }

    @Test void badIndicesAreClearErrors() {
        Tensor x = Tensor.zeros(DType.F32, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IndexAxis.select(x, 1, Tensor.ofLongs(new long[]{0, 4}, 2)).checkOutput(x, Tensor.zeros(DType.F32, 3, 2)));
        assertTrue(e.getMessage().contains("index 4 at position 1") && e.getMessage().contains("size 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> IndexAxis.select(x, 0, Tensor.ofLongs(new long[]{-1}, 1)).checkOutput(x, Tensor.zeros(DType.F32, 1, 4)));
        assertTrue(e.getMessage().contains("index -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> IndexAxis.select(x, 0, Tensor.of(new float[]{0}, 1)).checkOutput(x, Tensor.zeros(DType.F32, 1, 4)));
        assertTrue(e.getMessage().contains("I64 or I32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> IndexAxis.select(x, 0, Tensor.ofLongs(new long[]{0}, 1)).checkOutput(x, Tensor.zeros(DType.F32, 2, 4)));
        assertTrue(e.getMessage().contains("expected [1, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Layouts.indexAdd(x, 0, Tensor.ofLongs(new long[]{0, 1}, 2), Tensor.zeros(DType.F32, 2, 3)));
        assertTrue(e.getMessage().contains("expected [2, 4]"), e.getMessage());
    }
}
