package flux2.model.vae;

import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.ModuleList;
import flux2.tensor.TensorArena;

/**
 * One resolution level: its ResNet blocks, then (but at the last level) the step to the next one, the
 * encoder's downsample (3x3 stride 2) or the decoder's upsample (nearest x2, then 3x3).
 */
final class Level extends Module {
    private final ModuleList<ResnetBlock> block = child("block", new ModuleList<>());
    private final int channels;
    private Conv2d down, up;

    /** {@code count} ResNet blocks from {@code in} to {@code out} channels. */
    Level(int in, int out, int count, int groups, TensorArena arena) {
        for (int j = 0; j < count; j++) block.add(new ResnetBlock(j == 0 ? in : out, out, groups, arena));
        channels = out;
    }

    void downsample(TensorArena arena) { down = child("downsample", new Resample(Layers.downConv(channels, arena))).conv; }

    void upsample(TensorArena arena) { up = child("upsample", new Resample(Layers.conv(channels, channels, 3, arena))).conv; }

    FeatureMap forward(FeatureMap h) {
        for (ResnetBlock b : block) h = h.then(b::forward);
        if (down != null) h = h.then(x -> x.conv(down));
        if (up != null) h = h.then(x -> x.upsample().conv(up));
        return h;
    }

    /** The reference's Downsample / Upsample module, which names its convolution {@code conv}. */
    private static final class Resample extends Module {
        final Conv2d conv;

        Resample(Conv2d conv) { this.conv = child("conv", conv); }
    }
}
