package flux2.model.flux2;

import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** out_layer(SiLU(in_layer(u))): embeds the 256 sinusoidal values of a timestep or guidance scale. */
public final class MlpEmbedder extends Module {
    public final Linear inLayer, outLayer;

    public MlpEmbedder(int in, int hidden, DType dtype, TensorArena arena) {
        inLayer = child("in_layer", new Linear(in, hidden, false, dtype, arena));
        outLayer = child("out_layer", new Linear(hidden, hidden, false, dtype, arena));
    }

    public Var forward(Var u) { return outLayer.forward(inLayer.forward(u).silu()); }
}
