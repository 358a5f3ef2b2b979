package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/**
 * One global modulation layer: lin(SiLU(vec)) split into {@code count} chunks [B, 1, D] in the order shift,
 * scale, gate (repeated for the second half of a double block). Computed once per forward, shared by all blocks.
 */
public final class Modulation extends Module {
    public final int count;
    public final Linear lin;

    public Modulation(int dim, int count, DType dtype, TensorArena arena) {
        this.count = count;
        lin = child("lin", new Linear(dim, count * dim, false, dtype, arena));
    }

    /** All chunks side by side, [B, 1, count * D]. */
    public Var forward(Var vec) { return lin.forward(vec.silu()).unsqueeze(1); }

    /** Splits the output of {@link #forward} into its chunks. */
    public static Var[] chunks(Var m, int count) {
        int d = m.size(-1) / count;
        int[] sizes = new int[count];
        java.util.Arrays.fill(sizes, d);
        return F.split(m, -1, sizes);
    }

    /** (1 + scale) * LN(x) + shift, with a LayerNorm that has no parameters (eps 1e-6). */
    public static Var modulate(Var x, Var shift, Var scale) {
        return F.layerNorm(x, null, null, 1e-6).mul(scale.add(1)).add(shift);
    }
}
