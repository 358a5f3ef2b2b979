package flux2.model.mistral;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;

/** RMSNorm over the last axis with the checkpoint's (mapped) weight: x / sqrt(mean(x^2) + eps) * weight. */
final class Norm extends Module {
    private final Parameter weight;
    private final double eps;

    Norm(Tensor w, double eps) {
        this.weight = param("weight", new Parameter(w, false, null));
        this.eps = eps;
    }

    Var forward(Var x) { return F.rmsNorm(x, weight.var(), eps); }
}
