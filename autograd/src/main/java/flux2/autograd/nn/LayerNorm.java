package flux2.autograd.nn;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** LayerNorm over the last axis, with or without an affine weight and bias. */
public final class LayerNorm extends Module {
    public final double eps;
    public final Parameter weight, bias;

    public LayerNorm(int dim, double eps, boolean affine, TensorArena arena) {
        this.eps = eps;
        weight = affine ? param("weight", arena, DType.F32, dim).initialValue(1) : null;
        bias = affine ? param("bias", arena, DType.F32, dim) : null;
    }

    public Var forward(Var x) {
        return F.layerNorm(x, weight == null ? null : weight.var(), bias == null ? null : bias.var(), eps);
    }
}
