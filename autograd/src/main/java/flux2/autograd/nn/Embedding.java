package flux2.autograd.nn;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/** A lookup table [num, dim]: ids of any shape give rows of shape [..., dim]. */
public final class Embedding extends Module {
    public final Parameter weight;

    public Embedding(int num, int dim, DType dtype, TensorArena arena) {
        weight = param("weight", arena, dtype, num, dim);
    }

    public Var forward(Tensor ids) {
        int[] shape = ids.shape();
        int[] out = java.util.Arrays.copyOf(shape, shape.length + 1);
        out[shape.length] = weight.value().size(1);
        return F.indexSelect(weight.var(), 0, ids.reshape(-1)).reshape(out);
    }
}
