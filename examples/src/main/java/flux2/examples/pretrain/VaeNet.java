package flux2.examples.pretrain;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Parameter;
import flux2.model.vae.VaeConfig;
import flux2.model.vae.VaeKeys;
import flux2.tensor.AttentionSpec;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The FLUX.2 autoencoder's convolutional stack as a differentiable graph over trainable F32 weights with the
 * official {@code ae.safetensors} names, for training a miniature VAE. It computes what {@code flux2.model.vae}
 * computes at inference (encoder to the posterior mean, decoder back to pixels); the batch-norm statistics are
 * not weights here: they are measured after training.
 */
public final class VaeNet {
    private final VaeConfig config;
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /**
     * Fresh weights in {@code arena}: convolutions normal with std 1/sqrt(fan-in), the last decoder convolution
     * scaled by 0.1 (so the untrained output starts near grey), norms identity, biases zero.
     */
    public VaeNet(VaeConfig config, Rng rng, TensorArena arena) {
        this.config = config;
        try (var s = arena.enter()) {
            for (var e : VaeKeys.official(config).entrySet()) {
                String name = e.getKey();
                if (name.startsWith("bn.")) continue;
                int[] shape = e.getValue();
                Tensor t;
                if (shape.length == 4) {
                    double std = 1 / Math.sqrt((double) shape[1] * shape[2] * shape[3]);
                    t = rng.normal(0, name.equals("decoder.conv_out.weight") ? 0.1 * std : std, shape);
                } else if (name.matches(".*norm\\w*\\.weight")) t = Tensor.full(DType.F32, 1, shape);
                else t = Tensor.zeros(DType.F32, shape);
                params.put(name, new Parameter(t.contiguous(), true, arena));
            }
        }
    }

    public VaeConfig config() { return config; }

    /** The trainable weights by official name (no batch-norm statistics). */
    public Map<String, Parameter> parameters() { return params; }

    /** Posterior means [N, z, H/f, W/f] of images [N, 3, H, W] in [-1, 1]. */
    public Var encode(Var image) {
        VaeConfig c = config;
        Var x = same(image, "encoder.conv_in");
        for (int i = 0; i < c.levels(); i++) {
            for (int j = 0; j < c.numResBlocks(); j++) x = resnet(x, "encoder.down." + i + ".block." + j);
            // the downsampling convolution pads only the bottom and right edge, then strides by 2
            if (i < c.levels() - 1) x = conv(x, "encoder.down." + i + ".downsample.conv", 2, new int[]{0, 1, 0, 1});
        }
        x = mid(x, "encoder.mid");
        x = same(norm(x, "encoder.norm_out").silu(), "encoder.conv_out");
        if (c.quantConv()) x = same(x, "encoder.quant_conv");
        return x.narrow(1, 0, c.zChannels());
    }

    /** Images [N, 3, H, W] of latents z [N, z, h, w] (before patchify). */
    public Var decode(Var z) {
        VaeConfig c = config;
        Var x = c.quantConv() ? same(z, "decoder.post_quant_conv") : z;
        x = same(x, "decoder.conv_in");
        x = mid(x, "decoder.mid");
        for (int i = c.levels() - 1; i >= 0; i--) {
            for (int j = 0; j <= c.numResBlocks(); j++) x = resnet(x, "decoder.up." + i + ".block." + j);
            if (i > 0) x = same(F.upsampleNearest(x, 2), "decoder.up." + i + ".upsample.conv");
        }
        return same(norm(x, "decoder.norm_out").silu(), "decoder.conv_out");
    }

    private Var p(String name) { return params.get(name).var(); }

    private Var conv(Var x, String name, int stride, int[] padding) {
        return F.conv2d(x, p(name + ".weight"), p(name + ".bias"), new int[]{stride, stride}, padding);
    }

    private Var same(Var x, String name) {
        int k = params.get(name + ".weight").shape()[2] / 2;
        return conv(x, name, 1, new int[]{k, k, k, k});
    }

    private Var norm(Var x, String name) {
        return F.groupNorm(x, config.groups(), p(name + ".weight"), p(name + ".bias"), VaeConfig.NORM_EPS);
    }

    private Var resnet(Var x, String name) {
        Var h = same(norm(x, name + ".norm1").silu(), name + ".conv1");
        h = same(norm(h, name + ".norm2").silu(), name + ".conv2");
        Var skip = params.containsKey(name + ".nin_shortcut.weight") ? same(x, name + ".nin_shortcut") : x;
        return skip.add(h);
    }

    private Var mid(Var x, String name) {
        x = resnet(x, name + ".block_1");
        if (config.midAttention()) x = attention(x, name + ".attn_1");
        return resnet(x, name + ".block_2");
    }

    /** x + proj_out(softmax(q k^T / sqrt(C)) v) over the H*W positions of GroupNorm(x), one head as wide as x. */
    private Var attention(Var x, String name) {
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Var tokens = norm(x, name + ".norm").reshape(n, c, h * w).transpose(1, 2).contiguous(); // [N, L, C]
        Var q = linear(tokens, name + ".q"), k = linear(tokens, name + ".k"), v = linear(tokens, name + ".v");
        Var a = F.attention(AttentionSpec.of(c), q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1), null).reshape(n, h * w, c);
        Var proj = linear(a, name + ".proj_out");
        return x.add(proj.transpose(1, 2).contiguous().reshape(n, c, h, w));
    }

    /** A 1x1 convolution over tokens [N, L, C]: weight [C, C, 1, 1] used as a matrix. */
    private Var linear(Var tokens, String name) {
        Var wt = p(name + ".weight");
        return tokens.matmul(wt.reshape(wt.size(0), wt.size(1)).t()).add(p(name + ".bias"));
    }
}
