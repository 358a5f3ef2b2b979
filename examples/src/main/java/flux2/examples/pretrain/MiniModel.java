package flux2.examples.pretrain;

import flux2.autograd.nn.Parameter;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.vae.VaeConfig;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.models.TransformerFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The sizes of the pretrained miniature FLUX.2 of the embedded example, and the initial transformer weights its
 * full training starts from. Images are 32x32: the VAE has 3 levels (12, 24, 24 channels, z 8), so with the 2x2
 * patch a token covers 8x8 pixels and carries 32 channels, and an image is 4x4 tokens. A latent pixel keeps 8 numbers
 * of 48 (4x4 RGB), the real VAE's ratio; with z 4 a 2-pixel outline blurred into its fill. The text encoder is
 * {@link flux2.examples.TinyModel}'s (48-wide features).
 */
public final class MiniModel {
    private MiniModel() {}

    /** Side of the training images in pixels. */
    public static final int IMAGE_SIZE = 32;

    /** The VAE: ch 12, levels 1/2/2, one ResNet block per level, z 8, 4 GroupNorm groups, quant convs and mid attention. */
    public static VaeConfig vaeConfig() {
        return new VaeConfig(3, 12, 3, new int[]{1, 2, 2}, 1, 8, 4, true, true, 1e-4, 2);
    }

    /** The transformer: 32 channels in, 48-wide text, hidden 64 in 2 heads of 32, 2 double and 2 single blocks. */
    public static Flux2Config transformerConfig() {
        return new Flux2Config(32, 48, 96, 3, 2, 3, new int[]{8, 8, 8, 8}, 2000, 3.0, true);
    }

    /**
     * Writes the untrained transformer as a diffusers folder: matrices normal with std 1/sqrt(fan-in), QK-norm scales
     * 1, and zero modulations and output projection (adaLN-zero: every block starts as the identity and the first
     * prediction is 0), BF16 like the trained one.
     */
    public static void writeInitialTransformer(Flux2Config c, Path dir, long seed) throws IOException {
        Rng rng = new Rng(seed);
        try (TensorArena a = TensorArena.open("mini-init")) {
            Flux2Transformer m = new Flux2Transformer(c, DType.F32, a);
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                String name = e.getKey();
                int[] s = e.getValue().shape();
                Tensor t;
                if (name.endsWith(".scale")) t = Tensor.full(DType.F32, 1, s);
                else if (name.contains("modulation") || name.equals("final_layer.linear.weight")) t = Tensor.zeros(DType.F32, s);
                else t = rng.normal(0, 1 / Math.sqrt(s[s.length - 1]), s);
                e.getValue().value().copyFrom(t);
            }
            TransformerFolder.write(m, dir, DType.BF16);
        }
    }
}
