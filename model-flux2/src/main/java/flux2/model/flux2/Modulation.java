package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/**
 * One global modulation layer: lin(SiLU(vec)), computed once per forward and shared by all blocks. Its output
 * holds one {@link ModulationOut} (shift, scale, gate) per sublayer: two for a double block (attention, MLP),
 * one for a single block.
 */
public final class Modulation extends Module {
    public final int count;
    public final Linear lin;

    public Modulation(int dim, int count, DType dtype, TensorArena arena) {
        if (count % 3 != 0) throw new IllegalArgumentException("a modulation has 3 chunks (shift, scale, gate) per sublayer, got " + count);
        this.count = count;
        lin = child("lin", new Linear(dim, count * dim, false, dtype, arena));
    }

    /** All chunks side by side, [B, 1, count * D] (one value, as blocks take it through gradient checkpoints). */
    public Var forward(Var vec) { return lin.forward(vec.silu()).unsqueeze(1); }

    /** The output of {@link #forward} as its sets of (shift, scale, gate), in order. */
    public static ModulationOut[] split(Var m, int sets) {
        int d = m.size(-1) / (3 * sets);
        int[] sizes = new int[3 * sets];
        java.util.Arrays.fill(sizes, d);
        Var[] c = F.split(m, -1, sizes);
        ModulationOut[] out = new ModulationOut[sets];
        for (int i = 0; i < sets; i++) out[i] = new ModulationOut(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
        return out;
    }
}
