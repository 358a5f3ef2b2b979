package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** The AdamW update over host memory, element by element as torch.optim.AdamW. */
final class CpuAdamW {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private CpuAdamW() {}

    static void step(Tensor p, Tensor g, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps,
                     double weightDecay, long step) {
        for (Tensor t : new Tensor[]{p, g, m, v})
            if (t.dtype() != DType.F32 || !t.isContiguous() || !Arrays.equals(t.shape(), p.shape()))
                throw new IllegalArgumentException("adamwStep: param, grad, m and v must be contiguous F32 of shape "
                        + Arrays.toString(p.shape()) + ", got " + t);
        if (step < 1) throw new IllegalArgumentException("adamwStep: step counts from 1, got " + step);
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        double decay = 1 - lr * weightDecay;
        MemorySegment ps = p.segment(), gs = g.segment(), ms = m.segment(), vs = v.segment();
        long po = p.byteOffset(), go = g.byteOffset(), mo = m.byteOffset(), vo = v.byteOffset();
        float b1 = (float) beta1, b2 = (float) beta2;
        Parallel.forRange(p.numel(), 1 << 14, (w, s, e) -> {
            for (long i = s; i < e; i++) {
                float gi = gs.get(F, go + i * 4);
                float mi = b1 * ms.get(F, mo + i * 4) + (1 - b1) * gi;
                float vi = b2 * vs.get(F, vo + i * 4) + (1 - b2) * gi * gi;
                ms.set(F, mo + i * 4, mi);
                vs.set(F, vo + i * 4, vi);
                float pi = (float) (ps.get(F, po + i * 4) * decay);
                double denom = Math.sqrt(vi) / bc2Sqrt + eps;
                ps.set(F, po + i * 4, (float) (pi - stepSize * mi / denom));
            }
        });
    }
}
