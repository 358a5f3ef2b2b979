package flux2.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The view machinery the kernels rely on: strides and offsets of views, and when reshape must copy. */
class TensorViewTest {
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("view-test"); }

    @AfterEach void close() { arena.close(); }

    /** [d0, d1, ...] with element value = its row-major index. */
    private static Tensor iota(int... shape) {
        return Tensor.arange((int) Shapes.numel(shape)).reshape(shape);
    }

    /** Elements in row-major order read one by one through get (no kernel involved). */
    private static float[] read(Tensor t) {
        int[] shape = t.shape();
        float[] out = new float[(int) t.numel()];
        int[] idx = new int[shape.length];
        for (int e = 0; e < out.length; e++) {
            out[e] = (float) t.get(idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    private static boolean sharesMemory(Tensor a, Tensor b) { return a.storage() == b.storage(); }

    @Test
    void reshapeOfAContiguousTensorIsAView() {
        Tensor x = iota(2, 3, 4);
        Tensor r = x.reshape(4, -1);
        assertArrayEquals(new int[]{4, 6}, r.shape());
        assertTrue(sharesMemory(x, r));
        assertArrayEquals(read(x), read(r));
        r.set(-1, 3, 5);
        assertEquals(-1, x.get(1, 2, 3));
        assertArrayEquals(new int[]{24}, x.reshape(-1).shape());
        assertThrows(IllegalArgumentException.class, () -> x.reshape(5, -1));
        assertThrows(IllegalArgumentException.class, () -> x.reshape(-1, -1));
        assertThrows(IllegalArgumentException.class, () -> x.reshape(5, 5));
    }

    @Test
    void reshapeOfAPermutedTensorCopiesOnlyWhenItMust() {
        Tensor x = iota(2, 3, 4);
        Tensor p = x.permute(1, 0, 2);                       // [3, 2, 4], strides [4, 12, 1]
        assertFalse(p.isContiguous());
        float[] expect = read(p);
        Tensor merged = p.reshape(3, 8);                     // axes 1 and 2 are not one run: copy
        assertFalse(sharesMemory(p, merged));
        assertTrue(merged.isContiguous());
        assertArrayEquals(expect, read(merged));
        Tensor all = p.reshape(24);
        assertFalse(sharesMemory(p, all));
        assertArrayEquals(expect, read(all));
        Tensor split = p.reshape(3, 2, 2, 2);                // splitting the contiguous last axis: a view
        assertTrue(sharesMemory(p, split));
        assertArrayEquals(expect, read(split));
        // A transposed matrix: its strided last axis can still be split without a copy.
        Tensor t = iota(4, 6).t();                           // [6, 4], strides [1, 6]
        Tensor ts = t.reshape(6, 2, 2);
        assertTrue(sharesMemory(t, ts));
        assertArrayEquals(new long[]{1, 12, 6}, ts.strides());
        assertArrayEquals(read(t), read(ts));
        assertFalse(sharesMemory(t, t.reshape(24)));
        assertArrayEquals(read(t), read(t.reshape(24)));
        // Heads moved in front of the tokens cannot merge with the batch axis without a copy.
        Tensor q = iota(2, 5, 3, 4).permute(0, 2, 1, 3);   // [2, 3, 5, 4]
        Tensor heads = q.reshape(6, 5, 4);
        assertFalse(sharesMemory(q, heads));
        assertArrayEquals(read(q), read(heads));
        Tensor back = iota(2, 3, 5, 4).permute(0, 2, 1, 3).reshape(2, 5, 12);
        assertArrayEquals(read(iota(2, 3, 5, 4).permute(0, 2, 1, 3)), read(back));
    }

    @Test
    void narrowSliceAndSelectAddressTheRightElements() {
        Tensor x = iota(4, 6);
        Tensor n = x.narrow(1, 1, 4);
        assertEquals(1, n.offset());
        assertEquals(7 * 1f, (float) n.get(1, 0));
        assertFalse(n.isContiguous());
        assertFalse(sharesMemory(n, n.reshape(16)));
        assertArrayEquals(read(n), read(n.reshape(16)));
        Tensor rows = x.narrow(0, 1, 2);                     // a contiguous block: flattening is a view
        assertTrue(rows.isContiguous());
        assertTrue(sharesMemory(rows, rows.reshape(12)));
        assertArrayEquals(new float[]{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, read(rows.reshape(12)));
        Tensor nn = x.narrow(0, 1, 3).narrow(1, 2, 3).narrow(0, 1, 2);
        assertEquals(14, nn.offset());
        assertArrayEquals(new float[]{14, 15, 16, 20, 21, 22}, read(nn));
        Tensor s = x.slice(1, 1, 6, 2);                      // columns 1, 3, 5
        assertArrayEquals(new int[]{4, 3}, s.shape());
        assertArrayEquals(new long[]{6, 2}, s.strides());
        assertArrayEquals(new float[]{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}, read(s));
        assertArrayEquals(new float[]{19, 21, 23}, read(x.slice(0, 3, 4, 1).slice(1, 1, 6, 2).reshape(3)));
        Tensor col = x.select(1, 4);
        assertArrayEquals(new int[]{4}, col.shape());
        assertArrayEquals(new float[]{4, 10, 16, 22}, read(col));
        assertArrayEquals(new float[]{12, 13, 14, 15, 16, 17}, read(x.select(-2, 2)));
        assertThrows(IllegalArgumentException.class, () -> x.narrow(1, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> x.slice(0, 0, 5, 1));
    }

    @Test
    void expandRepeatsWithZeroStridesAndReshapeCopiesIt() {
        Tensor c = Tensor.of(new float[]{1, 2, 3}, 3, 1);
        Tensor e = c.expand(2, 3, 4);
        assertArrayEquals(new long[]{0, 1, 0}, e.strides());
        assertFalse(e.isContiguous());
        assertEquals(3, e.get(1, 2, 3));
        float[] expect = read(e);
        Tensor flat = e.reshape(24);
        assertFalse(sharesMemory(e, flat));
        assertArrayEquals(expect, read(flat));
        Tensor split = e.reshape(2, 3, 2, 2);
        assertTrue(sharesMemory(e, split));
        assertArrayEquals(expect, read(split));
        assertArrayEquals(new int[]{3, 5}, c.expand(-1, 5).shape());
        assertThrows(IllegalArgumentException.class, () -> c.expand(4, 2));
        assertThrows(IllegalArgumentException.class, () -> c.expand(5));
        Tensor cc = e.contiguous();
        assertNotSame(e, cc);
        assertArrayEquals(expect, read(cc));
    }

    @Test
    void squeezeUnsqueezeFlattenAndContiguity() {
        Tensor x = iota(3, 4);
        Tensor u = x.unsqueeze(1);
        assertArrayEquals(new int[]{3, 1, 4}, u.shape());
        assertTrue(u.isContiguous());
        assertArrayEquals(new int[]{3, 4, 1}, x.unsqueeze(-1).shape());
        assertArrayEquals(new int[]{1, 3, 4}, x.unsqueeze(0).shape());
        assertArrayEquals(read(x), read(u.squeeze(1)));
        assertThrows(IllegalArgumentException.class, () -> x.squeeze(0));
        Tensor tu = x.t().unsqueeze(0).unsqueeze(2);         // [1, 4, 1, 3]
        assertArrayEquals(read(x.t()), read(tu.reshape(4, 3)));
        // A size-1 axis with any stride does not break contiguity.
        Tensor odd = new Tensor(x.storage(), DType.F32, new int[]{3, 1, 4}, new long[]{4, 99, 1}, 0);
        assertTrue(odd.isContiguous());
        assertSame(odd, odd.contiguous());
        assertTrue(sharesMemory(odd, odd.reshape(12)));
        Tensor p = iota(2, 3, 4).permute(2, 0, 1);
        Tensor f = p.flatten(1, 2);
        assertArrayEquals(new int[]{4, 6}, f.shape());
        assertTrue(sharesMemory(p, f));                      // axes 0 and 1 of the original stay one run
        assertArrayEquals(read(p), read(f));
        Tensor g = p.flatten(0, 1);
        assertArrayEquals(new int[]{8, 3}, g.shape());
        assertArrayEquals(read(p), read(g));
        // Scalars and empty tensors.
        Tensor s = Tensor.scalar(5).reshape();
        assertEquals(0, s.rank());
        assertEquals(5, s.item());
        assertArrayEquals(new int[]{1, 1}, s.reshape(1, 1).shape());
        Tensor empty = Tensor.zeros(DType.F32, 0, 3);
        assertArrayEquals(new int[]{3, 0}, empty.reshape(3, 0).shape());
    }

    @Test
    void writesThroughViewsReachTheBase() {
        Tensor x = iota(3, 5);
        x.t().set(-7, 4, 2);
        assertEquals(-7, x.get(2, 4));
        x.narrow(1, 1, 3).select(0, 1).fill(0);
        assertArrayEquals(new float[]{5, 0, 0, 0, 9}, read(x.select(0, 1)));
        Tensor dst = Tensor.zeros(DType.F32, 5, 3);
        dst.t().copyFrom(x);
        assertArrayEquals(read(x.t()), read(dst));
        assertArrayEquals(read(x.t()), x.t().toFloatArray());
    }

    @Test
    void permuteAndTransposeValidateAxes() {
        Tensor x = iota(2, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1));
        assertThrows(IllegalArgumentException.class, () -> x.permute(0, 1, 1));
        assertArrayEquals(new int[]{4, 3, 2}, x.permute(-1, 1, 0).shape());
        assertArrayEquals(new int[]{2, 4, 3}, x.transpose(-1, -2).shape());
        assertArrayEquals(read(x), read(x.permute(2, 0, 1).permute(1, 2, 0)));
    }
}
