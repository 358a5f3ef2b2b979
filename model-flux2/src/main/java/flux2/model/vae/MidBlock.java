package flux2.model.vae;

import flux2.tensor.Tensor;
import java.util.List;
import java.util.function.UnaryOperator;

/** The mid block shared by encoder and decoder: ResNet block, single-head attention, ResNet block. */
final class MidBlock {
    private MidBlock() {}

    /** Appends the mid block's layers (official names under {@code name}) to a layer list. */
    static void add(List<UnaryOperator<Tensor>> layers, VaeWeights w, String name, long tileBytes) {
        layers.add(new ResnetBlock(w, name + ".block_1", tileBytes)::forward);
        if (w.config().midAttention()) layers.add(new AttnBlock(w, name + ".attn_1")::forward);
        layers.add(new ResnetBlock(w, name + ".block_2", tileBytes)::forward);
    }
}
