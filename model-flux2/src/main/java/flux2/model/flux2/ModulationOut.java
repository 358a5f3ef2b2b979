package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;

/**
 * One set of modulation chunks [B, 1, D] around a sublayer: its input is (1 + scale) * LN(x) + shift, its
 * output is multiplied by gate before it joins the residual stream.
 */
public record ModulationOut(Var shift, Var scale, Var gate) {
    /** (1 + scale) * LN(x) + shift. */
    public Var modulate(Var x) { return modulate(x, shift, scale); }

    /** (1 + scale) * LN(x) + shift, with a LayerNorm that has no parameters (eps 1e-6). */
    public static Var modulate(Var x, Var shift, Var scale) {
        return F.layerNorm(x, null, null, 1e-6).mul(scale.add(1)).add(shift);
    }
}
