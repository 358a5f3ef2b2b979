package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** How matmul operands map onto the GEMM kernels' sizes, offsets and strides (layout only, no device). */
class CudaGemmPlanTest {
    @Test
    void linearLayerFoldsBatchIntoRowsAndReadsTheWeightAlongK() {
        Tensor x = Tensor.zeros(DType.F32, 2, 100, 64);
        Tensor w = Tensor.zeros(DType.BF16, 96, 64);          // [out, in]
        Tensor out = Tensor.zeros(DType.F32, 2, 100, 96);
        CudaGemm g = CudaGemm.plan(x, w.t(), out);
        assertNotNull(g);
        assertEquals(200, g.m);
        assertEquals(96, g.n);
        assertEquals(64, g.k);
        assertEquals(1, g.batch);
        assertEquals(64, g.sam);
        assertEquals(1, g.sbk);
        assertEquals(64, g.sbn);
        assertEquals(96, g.scm);
        assertTrue(g.vecOk);
    }

    @Test
    void rowMajorWeightIsReadAlongN() {
        Tensor a = Tensor.zeros(DType.F32, 128, 80);
        Tensor b = Tensor.zeros(DType.BF16, 80, 72);
        CudaGemm g = CudaGemm.plan(a, b, Tensor.zeros(DType.F32, 128, 72));
        assertNotNull(g);
        assertEquals(72, g.sbk);
        assertEquals(1, g.sbn);
        assertTrue(g.vecOk);
    }

    @Test
    void batchedProductUsesTheGridZAndBroadcastsWithStrideZero() {
        Tensor a = Tensor.zeros(DType.F32, 3, 64, 64);
        Tensor b = Tensor.zeros(DType.BF16, 1, 64, 72);
        Tensor out = Tensor.zeros(DType.F32, 3, 64, 72);
        CudaGemm g = CudaGemm.plan(a, b.expand(3, 64, 72), out);
        assertNotNull(g);
        assertEquals(3, g.batch);
        assertEquals(64 * 64, g.sab);
        assertEquals(0, g.sbb);
        assertEquals(64 * 72, g.scb);
    }

    @Test
    void oddStridesTurnOffTheVectorLoadsOnly() {
        Tensor a = Tensor.zeros(DType.F32, 130, 67);
        Tensor w = Tensor.zeros(DType.BF16, 90, 67);
        CudaGemm g = CudaGemm.plan(a, w.t(), Tensor.zeros(DType.F32, 130, 90));
        assertNotNull(g);
        assertFalse(g.vecOk);
    }

    @Test
    void unsuitedOperandsAreLeftToTheSharedKernels() {
        Tensor out = Tensor.zeros(DType.F32, 128, 128);
        assertNull(CudaGemm.plan(Tensor.zeros(DType.F32, 128, 128), Tensor.zeros(DType.F32, 128, 128), out), "F32 weight");
        assertNull(CudaGemm.plan(Tensor.zeros(DType.F32, 128, 128).t(), Tensor.zeros(DType.BF16, 128, 128), out),
                "A strided along K");
        assertNull(CudaGemm.plan(Tensor.zeros(DType.F32, 8, 8), Tensor.zeros(DType.BF16, 8, 8),
                Tensor.zeros(DType.F32, 8, 8)), "too small for a 128x128 tile");
        Tensor b = Tensor.zeros(DType.BF16, 4, 128, 256).slice(2, 0, 256, 2);  // unit stride along neither axis
        assertNull(CudaGemm.plan(Tensor.zeros(DType.F32, 128, 128), b.select(0, 0), out));
    }
}
