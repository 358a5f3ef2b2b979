package flux2.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.tensor.Layouts;
import flux2.tensor.NN;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The banded execution of the autoencoder against whole tensors: banded GroupNorm and convolutions against the
 * whole-tensor kernels, and the banded encode/decode against the same network on the autograd graph.
 */
class BandedMapTest {
    @Test
    void bandsOfGroupNormEqualTheWholeKernel() {
        try (TensorArena a = TensorArena.open("test")) {
            Rng rng = new Rng(5);
            Tensor x = rng.normal(0.7, 2, 2, 8, 9, 5);
            Tensor w = rng.normal(1, 0.3, 8), b = rng.normal(0, 0.3, 8);
            Tensor expected = NN.groupNorm(x, 4, w, b, 1e-6);
            GroupNormRows n = new GroupNormRows(x, 4, w, b, 1e-6);
            assertClose(expected, n.all(), 1e-6);
            assertClose(expected.narrow(2, 3, 4), n.rows(3, 7), 1e-6);
            assertClose(expected.silu().narrow(2, 2, 5), Rows.mapped(n, Tensor::silu).rows(2, 7), 1e-6);
        }
    }

    @Test
    void bandedConvolutionsEqualWholeOnes() {
        try (TensorArena a = TensorArena.open("test")) {
            Rng rng = new Rng(6);
            Tensor x = rng.normal(0, 1, 1, 3, 11, 6);
            Tensor w = rng.normal(0, 0.3, 4, 3, 3, 3), b = rng.normal(0, 0.3, 4);
            int[] one = {1, 1}, two = {2, 2}, same = {1, 1, 1, 1}, down = {0, 1, 0, 1};
            for (long tile : new long[]{1, 3 * 6 * 4 * 4, 1 << 20}) {
                assertClose(NN.conv2d(x, w, b, one, same), conv(w, b, one, same, Rows.of(x), tile).all(), 1e-6);
                assertClose(NN.conv2d(x, w, b, two, down), conv(w, b, two, down, Rows.of(x), tile).all(), 1e-6);
                Tensor up = Layouts.upsampleNearest(x, 2);
                assertClose(NN.conv2d(up, w, b, one, same), conv(w, b, one, same, Rows.upsampled(Rows.of(x)), tile).all(), 1e-6);
                Tensor residual = rng.normal(0, 1, 1, 4, 11, 6);
                assertClose(NN.conv2d(x, w, b, one, same).add(residual), conv(w, b, one, same, Rows.of(x), tile).plus(Rows.of(residual)).all(), 1e-6);
            }
        }
    }

    private static ConvRows conv(Tensor w, Tensor b, int[] stride, int[] padding, Rows src, long tile) {
        return new ConvRows(w, b, stride, padding, src, tile, List.of());
    }

    @Test
    void bandedEncodeAndDecodeEqualTheNetworkOnTheAutogradGraph() {
        // 3 levels, a width change in every ResNet level, mid attention and quant convs: every kind of layer
        VaeConfig c = new VaeConfig(3, 8, 3, new int[]{1, 2, 2}, 1, 2, 4, true, true, 1e-4, 2);
        try (TensorArena a = TensorArena.open("test")) {
            AutoEncoder graph = new AutoEncoder(c, a).initialize(new Rng(3), 1);
            graph.namedParameters().forEach((name, p) -> {
                if (name.startsWith("bn.")) p.value().copyFrom(new Rng(name.hashCode()).uniform(0.5, 1.5, p.shape()));
            });
            Tensor image = new Rng(4).uniform(-1, 1, 2, 3, 16, 24);
            int lc = c.latentChannels();
            Tensor mean = graph.namedParameters().get("bn.running_mean").value().reshape(1, lc, 1, 1);
            Tensor std = graph.namedParameters().get("bn.running_var").value().add(1e-4).sqrt().reshape(1, lc, 1, 1);
            Tensor latent, decoded;
            try (var off = GradMode.off()) {
                Tensor z = graph.posteriorMean(Var.constant(image)).data();
                latent = Layouts.pixelUnshuffle(z, 2).sub(mean).div(std);
                decoded = graph.decoder.forward(Var.constant(z)).data();
            }
            for (long tile : new long[]{1, 1 << 10, AutoEncoder.DEFAULT_TILE_BYTES}) {
                AutoEncoder banded = AutoEncoder.of(VaeWeights.of(graph.stateDict(), c), tile);
                Tensor l = banded.encode(image);
                assertClose(latent, l, 1e-5);
                assertClose(decoded, banded.decode(l), 1e-5);
            }
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.contiguous().toFloatArray(), g = actual.contiguous().toFloatArray();
        double d = 0, n = 0;
        for (int i = 0; i < e.length; i++) {
            d += (e[i] - g[i]) * (double) (e[i] - g[i]);
            n += e[i] * (double) e[i];
        }
        assertTrue(Math.sqrt(d / n) < tol, "relative L2 " + Math.sqrt(d / n));
    }
}
