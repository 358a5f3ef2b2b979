package flux2.autograd.nn;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** GroupNorm over [N, C, *] with a per-channel affine weight and bias. */
public final class GroupNorm extends Module {
    public final int groups;
    public final double eps;
    public final Parameter weight, bias;

    public GroupNorm(int groups, int channels, double eps, TensorArena arena) {
        if (channels % groups != 0) throw new IllegalArgumentException(channels + " channels do not split into " + groups + " groups");
        this.groups = groups;
        this.eps = eps;
        weight = param("weight", arena, DType.F32, channels).initialValue(1);
        bias = param("bias", arena, DType.F32, channels);
    }

    public Var forward(Var x) { return F.groupNorm(x, groups, weight.var(), bias.var(), eps); }
}
