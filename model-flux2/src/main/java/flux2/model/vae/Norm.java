package flux2.model.vae;

import flux2.tensor.NN;
import flux2.tensor.Tensor;

/** A GroupNorm layer (weight and bias [C], eps 1e-6). */
record Norm(Tensor weight, Tensor bias, int groups) {
    static Norm of(VaeWeights w, String name) {
        return new Norm(w.get(name + ".weight"), w.get(name + ".bias"), w.config().groups());
    }

    /** GroupNorm(x) as a whole tensor. */
    Tensor apply(Tensor x) { return NN.groupNorm(x, groups, weight, bias, VaeConfig.NORM_EPS); }

    /** swish(GroupNorm(x)), made band by band by its consumer. */
    NormSwish swish(Tensor x) { return new NormSwish(x, groups, weight, bias, VaeConfig.NORM_EPS); }
}
