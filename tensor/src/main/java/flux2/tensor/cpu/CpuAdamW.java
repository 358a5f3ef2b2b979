package flux2.tensor.cpu;

import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.AdamWStep;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** The AdamW update over host memory, element by element as torch.optim.AdamW. */
final class CpuAdamW {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private CpuAdamW() {}

    static void step(AdamWStep step, Tensor p, Tensor g, Tensor m, Tensor v) {
        double bc2Sqrt = step.bc2Sqrt(), stepSize = step.stepSize(), decay = step.decay(), eps = step.eps();
        MemorySegment ps = p.segment(), gs = g.segment(), ms = m.segment(), vs = v.segment();
        long po = p.byteOffset(), go = g.byteOffset(), mo = m.byteOffset(), vo = v.byteOffset();
        float b1 = (float) step.beta1(), b2 = (float) step.beta2();
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
