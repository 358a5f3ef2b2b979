package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.DType;
import flux2.tensor.Tensor;

/**
 * Error bounds of the GEMM kernels against a CPU product, per output element, from the magnitudes
 * s = sum_k |a_mk| |b_kn|: FP32 summation in another order errs by at most about K u32 s (u32 = 2^-24); the
 * x2 split leaves A with a relative error of at most u16^2 = 2^-16 (each BF16 term rounds with u = 2^-8).
 */
public final class GemmBounds {
    private GemmBounds() {}

    /** Asserts |got - expect| within the bound of {@code mode} everywhere; prints the worst ratio. */
    public static void assertWithin(CudaGemm.Mode mode, Tensor a, Tensor b, Tensor got, Tensor expect, String what) {
        int k = a.size(-1);
        float[] s = a.abs().matmul(b.to(DType.F32).abs()).toFloatArray();
        float[] g = got.toFloatArray(), e = expect.toFloatArray();
        double rel = k * 0x1p-24 * 2 + (mode == CudaGemm.Mode.BF16X2 ? 0x1p-16 : 0);
        double worst = 0, worstDiff = 0;
        for (int i = 0; i < g.length; i++) {
            double bound = rel * s[i] + 1e-6;
            double d = Math.abs(g[i] - e[i]);
            worst = Math.max(worst, d / bound);
            worstDiff = Math.max(worstDiff, d);
            assertTrue(d <= bound, mode + " " + what + ": element " + i + " differs by " + d + " > " + bound);
        }
        System.out.printf("%s %s: max |diff| %.3g, %.0f%% of the bound%n", mode, what, worstDiff, 100 * worst);
    }
}
