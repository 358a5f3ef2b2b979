package flux2.model.mistral;

import flux2.tensor.Tensor;
import java.util.Map;

/** Text-model weights by their name without the checkpoint prefix ({@code layers.3.mlp.up_proj.weight}). */
record Weights(Map<String, Tensor> byName) {
    Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("weight " + name + " was not loaded");
        return t;
    }
}
