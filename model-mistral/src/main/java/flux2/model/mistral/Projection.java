package flux2.model.mistral;

import flux2.autograd.nn.Linear;
import flux2.tensor.Tensor;

/**
 * A bias-free y = x W^T over a weight that already exists (a memory-mapped BF16 view of the checkpoint), so that
 * building a 24B-parameter model allocates nothing; the weight is frozen. Being a {@link Linear}, it can be
 * given a quantized base product.
 */
final class Projection extends Linear {
    Projection(Tensor w) {
        super(w, null);
    }
}
