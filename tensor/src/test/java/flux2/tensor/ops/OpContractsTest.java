package flux2.tensor.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.NN;
import flux2.tensor.Ops;
import flux2.tensor.ReduceOp;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The op contracts: what each record accepts, what it derives, and that the fronts hand it to the backend. */
class OpContractsTest {
    private TensorArena arena;

    @BeforeEach
    void open() { arena = TensorArena.open("contracts"); }

    @AfterEach
    void close() { arena.close(); }

    /** The CPU backend behind a proxy that records the contract record of every call. */
    private static Backend recording(List<Object> records) {
        Backend cpu = Backends.cpu();
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, (p, m, args) -> {
            if (args != null && args.length > 0 && args[0] != null && args[0].getClass().getPackage() == OpContractsTest.class.getPackage())
                records.add(args[0]);
            try {
                return m.invoke(cpu, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static Tensor on(Backend be, Tensor host) {
        Tensor t = Tensor.allocate(be, host.dtype(), host.shape(), TensorArena.current());
        t.copyFrom(host);
        return t;
    }

    @Test
    void frontsPassTheRecordTheyCheckedToTheBackend() {
        List<Object> records = new ArrayList<>();
        Backend be = recording(records);
        Tensor x = on(be, Tensor.arange(2 * 3 * 5 * 4).reshape(2, 3, 5, 4)), w = on(be, Tensor.zeros(DType.F32, 6, 3, 3, 3));
        Tensor out = NN.conv2d(x, w, null, new int[]{2, 1}, new int[]{1, 1, 0, 2});
        ConvGeometry g = ConvGeometry.forward(x, w, null, new int[]{2, 1}, new int[]{1, 1, 0, 2});
        assertEquals(List.of(g), records);
        assertArrayEquals(g.outputShape(), out.shape());
        records.clear();
        Tensor s = Ops.reduce(ReduceOp.SUM, x, false, -1, 1, 1);
        assertEquals(List.of(Reduction.of(ReduceOp.SUM, x, 1, 3)), records);
        assertArrayEquals(new int[]{2, 5}, s.shape());
        assertEquals(2 * 3 * 5 * 4 * (2 * 3 * 5 * 4 - 1) / 2.0, s.sum().item(), 1e-3);
    }

    @Test
    void reductionNormalisesAxesAndRefusesMaxOverNothing() {
        Tensor x = Tensor.zeros(DType.F32, 2, 0, 3);
        Reduction r = Reduction.of(ReduceOp.SUM, x, -1, 0, 2);
        assertArrayEquals(new int[]{0, 2}, r.axes());
        assertArrayEquals(new int[]{1, 0, 1}, r.keptShape());
        assertArrayEquals(new int[]{0}, r.droppedShape());
        assertEquals(0, r.kept());
        Tensor y = Tensor.zeros(DType.F32, 2, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> Reduction.of(ReduceOp.MAX, y, 1));
        assertTrue(e.getMessage().contains("no identity"), e.getMessage());
        assertEquals(0, Reduction.of(ReduceOp.SUM, y, 1).reduced());
    }

    @Test
    void matmulDimsBroadcastBatchAxes() {
        MatmulDims d = MatmulDims.of(Tensor.zeros(DType.F32, 2, 1, 7, 13), Tensor.zeros(DType.BF16, 3, 13, 5));
        assertArrayEquals(new int[]{2, 3}, d.batch());
        assertArrayEquals(new int[]{2, 3, 7, 5}, d.outShape());
        assertArrayEquals(new int[]{2, 3, 7, 13}, d.aShape());
        assertArrayEquals(new int[]{2, 3, 13, 5}, d.bShape());
        assertArrayEquals(new int[]{13, 5}, MatmulDims.of(Tensor.zeros(DType.F32, 7, 13), Tensor.zeros(DType.F32, 13, 5)).bShape());
    }

    @Test
    void ropeTableExpandsCosAndSinOrSaysWhyNot() {
        Tensor x = Tensor.zeros(DType.F32, 2, 3, 11, 14);
        RopeTable t = RopeTable.of(RopeLayout.INTERLEAVED, x, Tensor.zeros(DType.F32, 11, 7), Tensor.zeros(DType.F32, 1, 11, 7));
        assertEquals(7, t.half());
        assertArrayEquals(new int[]{2, 3, 11, 7}, t.cos().shape());
        assertArrayEquals(new int[]{2, 3, 11, 7}, t.sin().shape());
        var e = assertThrows(IllegalArgumentException.class,
                () -> RopeTable.of(RopeLayout.INTERLEAVED, x, Tensor.zeros(DType.F32, 2, 11, 7), Tensor.zeros(DType.F32, 11, 7)));
        assertTrue(e.getMessage().contains("cos [2, 11, 7] does not broadcast to [2, 3, 11, 7]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> NN.rope(RopeLayout.ROTATE_HALF, Tensor.zeros(DType.F32, 3, 5), Tensor.zeros(DType.F32, 3, 2), Tensor.zeros(DType.F32, 3, 2)));
        assertTrue(e.getMessage().contains("even D"), e.getMessage());
    }

    @Test
    void normAndGroupSizes() {
        RowNormDims r = RowNormDims.of("rmsNorm", Tensor.zeros(DType.F32, 4, 5, 6), Tensor.zeros(DType.BF16, 6), null, 1e-6);
        assertEquals(20, r.rows());
        assertEquals(6, r.width());
        GroupNormDims g = GroupNormDims.of(Tensor.zeros(DType.F32, 2, 12, 5, 7), 4, null, Tensor.zeros(DType.F32, 12), 1e-6);
        assertEquals(3, g.perGroup());
        assertEquals(8, g.rows());
        assertEquals(35, g.plane());
        var e = assertThrows(IllegalArgumentException.class, () -> NN.layerNorm(Tensor.zeros(DType.I4, 2, 4), null, null, 1e-6));
        assertTrue(e.getMessage().contains("packed dtype I4"), e.getMessage());
    }

    @Test
    void attentionDimsAllowAnOwnValueHeadSize() {
        Tensor q = Tensor.zeros(DType.F32, 1, 4, 3, 8), k = Tensor.zeros(DType.F32, 1, 2, 5, 8), v = Tensor.zeros(DType.F32, 1, 2, 5, 6);
        AttentionDims d = AttentionDims.forward(AttentionSpec.of(8).withCausal(true), q, k, v, null);
        assertArrayEquals(new int[]{1, 4, 3, 6}, d.outShape());
        assertArrayEquals(new int[]{1, 4, 3}, d.lseShape());
        assertEquals(2, d.group());
        assertEquals(2, d.shift());
        assertEquals(4, d.keyEnd(0, 2));
        assertArrayEquals(new int[]{1, 4, 3, 6}, NN.attention(AttentionSpec.of(8), q, k, v, null).out().shape());
    }

    @Test
    void indexAxisReadsTheIndexOnceAndChecksIt() {
        Tensor x = Tensor.zeros(DType.F32, 2, 5, 3);
        IndexAxis ix = IndexAxis.select(x, -2, Tensor.ofLongs(new long[]{4, 0, 4}, 3).to(DType.I32));
        assertEquals(1, ix.axis());
        assertArrayEquals(new long[]{4, 0, 4}, ix.indices());
        assertEquals(2, ix.outer());
        assertEquals(5, ix.size());
        assertEquals(3, ix.inner());
        assertArrayEquals(new int[]{2, 3, 3}, Layouts.indexSelect(x, 1, Tensor.ofLongs(new long[]{4, 0, 4}, 3)).shape());
        var e = assertThrows(IllegalArgumentException.class, () -> IndexAxis.add(x, 1, Tensor.ofLongs(new long[]{5}, 1), Tensor.zeros(DType.F32, 2, 1, 3)));
        assertTrue(e.getMessage().contains("index 5 at position 0 is out of range for axis 1 of size 5"), e.getMessage());
    }

    @Test
    void adamwStepFoldsTheBiasCorrectionsAndChecksOperands() {
        Tensor p = Tensor.zeros(DType.F32, 3, 4);
        AdamWStep s = AdamWStep.of(p, p, p, p, 1e-2, 0.9, 0.999, 1e-8, 0.1, 3);
        assertEquals(1e-2 / (1 - Math.pow(0.9, 3)), s.stepSize(), 1e-15);
        assertEquals(Math.sqrt(1 - Math.pow(0.999, 3)), s.bc2Sqrt(), 1e-15);
        assertEquals(1 - 1e-3, s.decay(), 1e-15);
        var e = assertThrows(IllegalArgumentException.class, () -> AdamWStep.of(p, p, p, p, 1e-2, 0.9, 0.999, 1e-8, 0, 0));
        assertTrue(e.getMessage().contains("step counts from 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ops.adamwStep(p, p.t(), p, p, 1e-2, 0.9, 0.999, 1e-8, 0, 1));
        assertTrue(e.getMessage().contains("contiguous F32 of shape [3, 4]"), e.getMessage());
    }
}
