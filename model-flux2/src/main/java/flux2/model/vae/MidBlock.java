package flux2.model.vae;

import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;

/** The middle of encoder and decoder: ResNet block, single-head attention (when the config has it), ResNet block. */
final class MidBlock extends Module {
    private final ResnetBlock block1, block2;
    private final AttnBlock attn1;

    MidBlock(int channels, VaeConfig c, TensorArena arena) {
        block1 = child("block_1", new ResnetBlock(channels, channels, c.groups(), arena));
        attn1 = c.midAttention() ? child("attn_1", new AttnBlock(channels, c.groups(), arena)) : null;
        block2 = child("block_2", new ResnetBlock(channels, channels, c.groups(), arena));
    }

    FeatureMap forward(FeatureMap h) {
        h = h.then(block1::forward);
        if (attn1 != null) h = h.then(attn1::forward);
        return h.then(block2::forward);
    }
}
