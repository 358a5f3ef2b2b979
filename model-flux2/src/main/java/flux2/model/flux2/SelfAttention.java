package flux2.model.flux2;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** One stream's attention weights in a double block: fused qkv, QK norm, output projection. */
public final class SelfAttention extends Module {
    public final Linear qkv, proj;
    public final QkNorm norm;

    public SelfAttention(int dim, int headDim, DType dtype, TensorArena arena) {
        qkv = child("qkv", new Linear(dim, 3 * dim, false, dtype, arena));
        norm = child("norm", new QkNorm(headDim, arena));
        proj = child("proj", new Linear(dim, dim, false, dtype, arena));
    }
}
