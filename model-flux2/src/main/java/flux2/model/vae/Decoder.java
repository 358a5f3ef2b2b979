package flux2.model.vae;

import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.ModuleList;
import flux2.tensor.TensorArena;

/**
 * Latent z [N, z, h, w] to an image [N, 3, h*f, w*f]: post_quant_conv, conv_in, mid block, ResNet levels from
 * the widest down (num_res_blocks + 1 blocks each) with nearest x2 upsampling after every level but level 0,
 * swish(GroupNorm), conv_out.
 */
public final class Decoder extends Module {
    private final Conv2d postQuantConv, convIn, convOut;
    private final MidBlock mid;
    private final ModuleList<Level> up;
    private final GroupNorm normOut;

    Decoder(VaeConfig c, TensorArena arena) {
        int z = c.zChannels(), in = c.width(c.levels() - 1);
        postQuantConv = c.quantConv() ? child("post_quant_conv", Layers.conv(z, z, 1, arena)) : null;
        convIn = child("conv_in", Layers.conv(z, in, 3, arena));
        mid = child("mid", new MidBlock(in, c, arena));
        up = child("up", new ModuleList<>());
        // built from the widest level down, as the reference does, so that its parameters come in that order
        for (int i = c.levels() - 1; i >= 0; i--) {
            Level level = up.set(i, new Level(in, c.width(i), c.numResBlocks() + 1, c.groups(), arena));
            if (i > 0) level.upsample(arena);
            in = c.width(i);
        }
        normOut = child("norm_out", Layers.norm(c.groups(), in, arena));
        convOut = child("conv_out", Layers.conv(in, c.outChannels(), 3, arena));
    }

    /** The image, nominally in [-1, 1], of latent z before patchify. */
    public Var forward(Var z) { return forward(FeatureMap.of(z)).var(); }

    FeatureMap forward(FeatureMap z) {
        FeatureMap h = postQuantConv == null ? z : z.then(m -> m.conv(postQuantConv));
        h = h.then(m -> m.conv(convIn));
        h = mid.forward(h);
        for (int i = up.size() - 1; i >= 0; i--) h = up.get(i).forward(h);
        return h.then(m -> m.norm(normOut).swish().conv(convOut));
    }
}
