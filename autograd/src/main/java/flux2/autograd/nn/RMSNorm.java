package flux2.autograd.nn;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** RMSNorm over the last axis with a weight named "scale" (FLUX.2) or "weight" (Mistral). */
public final class RMSNorm extends Module {
    public final double eps;
    public final Parameter weight;

    public RMSNorm(int dim, double eps, String weightName, TensorArena arena) {
        this.eps = eps;
        weight = param(weightName, arena, DType.F32, dim).initialValue(1);
    }

    public Var forward(Var x) { return F.rmsNorm(x, weight.var(), eps); }
}
