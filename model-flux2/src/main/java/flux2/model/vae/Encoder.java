package flux2.model.vae;

import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.ModuleList;
import flux2.tensor.TensorArena;

/**
 * Image [N, 3, H, W] to moments [N, 2z, H/f, W/f] (f = 2^(levels-1)): conv_in, ResNet levels with stride-2
 * downsampling after every level but the last, mid block, swish(GroupNorm), conv_out, quant_conv.
 */
public final class Encoder extends Module {
    private final Conv2d convIn, convOut, quantConv;
    private final ModuleList<Level> down;
    private final MidBlock mid;
    private final GroupNorm normOut;

    Encoder(VaeConfig c, TensorArena arena) {
        int z2 = 2 * c.zChannels();
        convIn = child("conv_in", Layers.conv(c.inChannels(), c.ch(), 3, arena));
        down = child("down", new ModuleList<>());
        int in = c.ch();
        for (int i = 0; i < c.levels(); i++) {
            Level level = down.add(new Level(in, c.width(i), c.numResBlocks(), c.groups(), arena));
            if (i < c.levels() - 1) level.downsample(arena);
            in = c.width(i);
        }
        mid = child("mid", new MidBlock(in, c, arena));
        normOut = child("norm_out", Layers.norm(c.groups(), in, arena));
        convOut = child("conv_out", Layers.conv(in, z2, 3, arena));
        quantConv = c.quantConv() ? child("quant_conv", Layers.conv(z2, z2, 1, arena)) : null;
    }

    /** Moments (mean, then log-variance) of the posterior for images in [-1, 1]. */
    public Var forward(Var image) { return forward(FeatureMap.of(image)).var(); }

    FeatureMap forward(FeatureMap x) {
        FeatureMap h = x.then(m -> m.conv(convIn));
        for (Level level : down) h = level.forward(h);
        h = mid.forward(h);
        h = h.then(m -> m.norm(normOut).swish().conv(convOut));
        return quantConv == null ? h : h.then(m -> m.conv(quantConv));
    }
}
