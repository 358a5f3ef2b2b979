package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** The double-block MLP: {@code 2}(SiLU(gate) * value) with [gate | value] = {@code 0}(x) (Sequential indices 0 and 2). */
public final class SwiGluMlp extends Module {
    public final Linear in, out;

    public SwiGluMlp(int dim, int hidden, DType dtype, TensorArena arena) {
        in = child("0", new Linear(dim, 2 * hidden, false, dtype, arena));
        out = child("2", new Linear(hidden, dim, false, dtype, arena));
    }

    public Var forward(Var x) { return out.forward(swiglu(in.forward(x))); }

    /** SiLU of the first half times the second half of the last axis. */
    public static Var swiglu(Var u) {
        int h = u.size(-1) / 2;
        Var[] gv = F.split(u, -1, h, h);
        return gv[0].silu().mul(gv[1]);
    }
}
