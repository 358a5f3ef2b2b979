package flux2.model.mistral;

import flux2.autograd.Var;
import flux2.autograd.nn.Module;

/** SwiGLU feed-forward: down(silu(gate(x)) * up(x)). */
final class MistralMlp extends Module {
    private final Projection gate, up, down;

    MistralMlp(Weights w, String prefix) {
        gate = child("gate_proj", new Projection(w.get(prefix + "gate_proj.weight")));
        up = child("up_proj", new Projection(w.get(prefix + "up_proj.weight")));
        down = child("down_proj", new Projection(w.get(prefix + "down_proj.weight")));
    }

    Var forward(Var x) { return down.forward(gate.forward(x).silu().mul(up.forward(x))); }
}
