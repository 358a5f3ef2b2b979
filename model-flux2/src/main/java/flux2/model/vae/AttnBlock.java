package flux2.model.vae;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.autograd.nn.Module;
import flux2.tensor.AttentionSpec;
import flux2.tensor.TensorArena;

/**
 * x + proj_out(attention(q, k, v)) over the H*W positions of GroupNorm(x): one head as wide as the block,
 * scale 1/sqrt(C), through the fused kernel (no H*W x H*W matrix).
 */
final class AttnBlock extends Module {
    private final GroupNorm norm;
    private final Conv2d q, k, v, projOut;

    AttnBlock(int channels, int groups, TensorArena arena) {
        norm = child("norm", Layers.norm(groups, channels, arena));
        q = child("q", Layers.conv(channels, channels, 1, arena));
        k = child("k", Layers.conv(channels, channels, 1, arena));
        v = child("v", Layers.conv(channels, channels, 1, arena));
        projOut = child("proj_out", Layers.conv(channels, channels, 1, arena));
    }

    FeatureMap forward(FeatureMap x) { return x.whole(this::forward); }

    private Var forward(Var x) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Var tokens = norm.forward(x).reshape(n, c, h * w).transpose(1, 2).contiguous(); // [N, L, C]
        Var attn = F.attention(AttentionSpec.of(c), linear(tokens, q).unsqueeze(1), linear(tokens, k).unsqueeze(1),
                linear(tokens, v).unsqueeze(1), null).reshape(n, h * w, c);
        return x.add(linear(attn, projOut).transpose(1, 2).contiguous().reshape(n, c, h, w));
    }

    /** A 1x1 convolution over tokens [N, L, C]: its weight [C, C, 1, 1] used as a matrix. */
    private static Var linear(Var tokens, Conv2d conv) {
        Var w = conv.weight.var();
        return tokens.matmul(w.reshape(w.size(0), w.size(1)).t()).add(conv.bias.var());
    }
}
