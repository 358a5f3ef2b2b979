package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/**
 * A single-stream block over [text; image]: linear1 gives q, k, v and the SwiGLU input in one matmul, linear2
 * projects [attention | MLP] back in one matmul.
 */
public final class SingleStreamBlock extends Module {
    private final int heads, dim, mlpHidden;
    public final Linear linear1, linear2;
    public final QkNorm norm;

    public SingleStreamBlock(Flux2Config c, DType dtype, TensorArena arena) {
        heads = c.numHeads();
        dim = c.hiddenSize();
        mlpHidden = c.mlpHidden();
        linear1 = child("linear1", new Linear(dim, 3 * dim + 2 * mlpHidden, false, dtype, arena));
        linear2 = child("linear2", new Linear(dim + mlpHidden, dim, false, dtype, arena));
        norm = child("norm", new QkNorm(c.headDim(), arena));
    }

    /** x [B, L, D] with its rotary table pe, modulation [B, 1, 3D] (shift, scale, gate). */
    public Var forward(Var x, Rope pe, Var mod) {
        ModulationOut m = Modulation.split(mod, 1)[0];
        Var[] qkvMlp = F.split(linear1.forward(m.modulate(x)), 2, 3 * dim, 2 * mlpHidden);
        Var[] qkv = JointAttention.prepare(qkvMlp[0], heads, norm, pe);
        Var attn = JointAttention.attend(qkv[0], qkv[1], qkv[2]);
        return x.add(m.gate().mul(linear2.forward(F.concat(2, attn, SwiGluMlp.swiglu(qkvMlp[1])))));
    }
}
