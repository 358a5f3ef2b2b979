package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** The final layer: linear((1 + scale) LN(x) + shift) with [shift | scale] = adaLN_modulation.1(SiLU(vec)). */
public final class LastLayer extends Module {
    public final Linear modulation, linear;

    /** PyTorch's Sequential(SiLU, Linear): the Linear sits at index 1. */
    private static final class AdaLn extends Module {
        final Linear lin;

        AdaLn(int dim, DType dtype, TensorArena arena) { lin = child("1", new Linear(dim, 2 * dim, false, dtype, arena)); }
    }

    public LastLayer(int dim, int outChannels, DType dtype, TensorArena arena) {
        modulation = child("adaLN_modulation", new AdaLn(dim, dtype, arena)).lin;
        linear = child("linear", new Linear(dim, outChannels, false, dtype, arena));
    }

    /** x [B, L, D], vec [B, D]. */
    public Var forward(Var x, Var vec) {
        int d = vec.size(-1);
        Var[] m = F.split(modulation.forward(vec.silu()).unsqueeze(1), 2, d, d);
        return linear.forward(ModulationOut.modulate(x, m[0], m[1]));
    }
}
