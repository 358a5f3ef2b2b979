package flux2.model.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import flux2.tensor.Tensor;

/**
 * Latent z [N, z, h, w] to an image [N, 3, h*f, w*f]: post_quant_conv, conv_in, mid block, ResNet levels from
 * the widest down (num_res_blocks + 1 blocks each) with nearest x2 upsampling after every level but level 0,
 * swish(GroupNorm), conv_out.
 */
final class Decoder {
    private final List<UnaryOperator<Tensor>> layers = new ArrayList<>();

    Decoder(VaeWeights w, long tileBytes) {
        VaeConfig c = w.config();
        if (c.quantConv()) {
            Conv postQuant = Conv.same(w, "decoder.post_quant_conv", tileBytes);
            layers.add(postQuant::apply);
        }
        Conv convIn = Conv.same(w, "decoder.conv_in", tileBytes);
        layers.add(x -> convIn.apply(Rows.of(x)));
        MidBlock.add(layers, w, "decoder.mid", tileBytes);
        for (int i = c.levels() - 1; i >= 0; i--) {
            for (int j = 0; j <= c.numResBlocks(); j++) layers.add(new ResnetBlock(w, "decoder.up." + i + ".block." + j, tileBytes)::forward);
            if (i > 0) {
                Conv up = Conv.same(w, "decoder.up." + i + ".upsample.conv", tileBytes);
                layers.add(x -> up.apply(Rows.upsampled(x)));
            }
        }
        Norm normOut = Norm.of(w, "decoder.norm_out");
        Conv convOut = Conv.same(w, "decoder.conv_out", tileBytes);
        layers.add(x -> convOut.apply(normOut.swish(x)));
    }

    /** The image, nominally in [-1, 1], of latent z before patchify. */
    Tensor forward(Tensor z) { return Chain.run(z, layers); }
}
