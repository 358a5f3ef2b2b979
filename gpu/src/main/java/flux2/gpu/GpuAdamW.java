package flux2.gpu;

import flux2.tensor.Tensor;
import flux2.tensor.ops.AdamWStep;

/** The AdamW update as one launch of adamw.cl over contiguous F32 param, grad, m and v. */
final class GpuAdamW {
    private GpuAdamW() {}

    static void step(GpuLaunch l, AdamWStep s, Tensor p, Tensor g, Tensor m, Tensor v) {
        KernelArgs a = new KernelArgs().l(p.numel());
        for (Tensor t : new Tensor[]{p, g, m, v}) l.operand(a, "adamwStep", t);
        a.f((float) s.beta1()).f((float) s.beta2()).f((float) s.eps()).f((float) s.decay()).f((float) s.stepSize()).f((float) s.bc2Sqrt());
        l.launch1("adamw_step", p.numel(), a);
    }
}
