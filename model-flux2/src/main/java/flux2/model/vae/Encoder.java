package flux2.model.vae;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import flux2.tensor.Tensor;

/**
 * Image [N, 3, H, W] to moments [N, 2z, H/f, W/f] (f = 2^(levels-1)): conv_in, ResNet levels with stride-2
 * downsampling after every level but the last, mid block, swish(GroupNorm), conv_out, quant_conv.
 */
final class Encoder {
    private final List<UnaryOperator<Tensor>> layers = new ArrayList<>();

    Encoder(VaeWeights w, long tileBytes) {
        VaeConfig c = w.config();
        Conv convIn = Conv.same(w, "encoder.conv_in", tileBytes);
        layers.add(x -> convIn.apply(Rows.of(x)));
        for (int i = 0; i < c.levels(); i++) {
            for (int j = 0; j < c.numResBlocks(); j++) layers.add(new ResnetBlock(w, "encoder.down." + i + ".block." + j, tileBytes)::forward);
            if (i < c.levels() - 1) {
                Conv down = Conv.down(w, "encoder.down." + i + ".downsample.conv", tileBytes);
                layers.add(x -> down.apply(Rows.of(x)));
            }
        }
        MidBlock.add(layers, w, "encoder.mid", tileBytes);
        Norm normOut = Norm.of(w, "encoder.norm_out");
        Conv convOut = Conv.same(w, "encoder.conv_out", tileBytes);
        layers.add(x -> convOut.apply(normOut.swish(x)));
        if (c.quantConv()) {
            Conv quant = Conv.same(w, "encoder.quant_conv", tileBytes);
            layers.add(quant::apply);
        }
    }

    /** Moments (mean, then log-variance) of the posterior for images in [-1, 1]. */
    Tensor forward(Tensor image) { return Chain.run(image, layers); }
}
