package flux2.model.mistral;

import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;

/**
 * A bias-free y = x W^T over a weight that already exists (a memory-mapped BF16 view of the checkpoint), so that
 * building a 24B-parameter model allocates nothing; the weight is frozen.
 */
final class Projection extends Module {
    final Parameter weight;

    Projection(Tensor w) {
        weight = param("weight", new Parameter(w, false, null));
    }

    Var forward(Var x) { return x.matmul(weight.var().t()); }
}
