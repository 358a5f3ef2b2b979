package flux2.model.vae;

import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;

/** x + conv2(swish(norm2(conv1(swish(norm1(x)))))), with a 1x1 nin_shortcut on x when the width changes. */
final class ResnetBlock extends Module {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, ninShortcut;

    ResnetBlock(int in, int out, int groups, TensorArena arena) {
        norm1 = child("norm1", Layers.norm(groups, in, arena));
        conv1 = child("conv1", Layers.conv(in, out, 3, arena));
        norm2 = child("norm2", Layers.norm(groups, out, arena));
        conv2 = child("conv2", Layers.conv(out, out, 3, arena));
        ninShortcut = in == out ? null : child("nin_shortcut", Layers.conv(in, out, 1, arena));
    }

    FeatureMap forward(FeatureMap x) {
        FeatureMap h = x.norm(norm1).swish().conv(conv1);
        h = h.norm(norm2).swish().conv(conv2);
        return h.add(ninShortcut == null ? x : x.conv(ninShortcut));
    }
}
