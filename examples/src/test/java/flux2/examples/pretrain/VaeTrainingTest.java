package flux2.examples.pretrain;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.model.vae.AutoEncoder;
import flux2.model.vae.VaeConfig;
import flux2.model.vae.VaeWeights;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.examples.TinyModel;
import flux2.examples.shapes.Scene;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeTrainingTest {
    @TempDir Path dir;

    /** 2 levels of 8 channels, z 2: 4 pixels per latent after the 2x2 patch. */
    private static final VaeConfig SMALL = new VaeConfig(3, 8, 3, new int[]{1, 1}, 1, 2, 4, true, true, 1e-4, 2);

    @Test
    void trainingGraphComputesWhatTheBandedInferenceComputes() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            AutoEncoder net = VaeTraining.create(SMALL, 3, a);
            List<Scene> scenes = VaeTraining.scenes(1, 2);
            Tensor img = VaeTraining.images(scenes, 16);
            Tensor bnMean = Tensor.of(new float[]{0.1f, -0.2f, 0.3f, 0f, 0.5f, -0.1f, 0.2f, 0.05f}, 8);
            Tensor bnVar = Tensor.full(DType.F32, 2.0, 8);
            TinyModel.writeVaeFolder(dir, SMALL, VaeTraining.weights(net, new Tensor[]{bnMean, bnVar}, DType.F32));
            try (AutoEncoder ae = AutoEncoder.load(dir, SMALL, AutoEncoder.DEFAULT_TILE_BYTES); var g = GradMode.off()) {
                Tensor z = net.posteriorMean(Var.constant(img)).data();
                Tensor expected = flux2.tensor.Layouts.pixelUnshuffle(z, 2).sub(bnMean.reshape(1, 8, 1, 1)).div(bnVar.add(1e-4).sqrt().reshape(1, 8, 1, 1));
                assertClose(expected, ae.encode(img), 1e-4);
                assertClose(net.decoder.forward(Var.constant(z)).data(), ae.decode(expected), 1e-4);
            }
        }
    }

    @Test
    void trainingLowersTheReconstructionErrorAndStatisticsStandardiseTheLatents() throws Exception {
        try (TensorArena a = TensorArena.open("t")) {
            AutoEncoder net = VaeTraining.create(SMALL, 5, a);
            VaeTraining.Result r = VaeTraining.train(net, 16, 40, 4, 3e-3, 9, s -> {});
            assertTrue(r.lastLoss() < 0.6 * r.firstLoss(), r.toString());
            List<Scene> scenes = VaeTraining.scenes(77, 32);
            Tensor[] bn = VaeTraining.batchNormStats(net, scenes, 16, 8);
            TinyModel.writeVaeFolder(dir, SMALL, VaeTraining.weights(net, bn, DType.BF16));
            // BF16 weights change the latents slightly: the statistics standardise them to within a few percent
            try (AutoEncoder ae = AutoEncoder.load(dir)) {
                Tensor z = ae.encode(VaeTraining.images(scenes, 16));
                float[] mean = z.mean(0, 2, 3).toFloatArray();
                float[] var = z.sub(z.mean(0, 2, 3).reshape(1, 8, 1, 1)).square().mean(0, 2, 3).toFloatArray();
                for (int k = 0; k < 8; k++) {
                    assertEquals(0, mean[k], 0.1, "channel " + k);
                    assertEquals(1, var[k], 0.1, "channel " + k);
                }
            }
        }
    }

    @Test
    void autoencoderScenesHaveOutlinesButNeverTheNewWord() {
        List<Scene> s = VaeTraining.scenes(4, 400);
        assertEquals(100, s.stream().filter(x -> x.outline() != null).count());
        assertTrue(s.stream().noneMatch(Scene::isZorblax));
        assertTrue(s.stream().allMatch(x -> x.outline() != x.color()));
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.toFloatArray(), g = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) assertEquals(e[i], g[i], tol * (1 + Math.abs(e[i])), "element " + i);
    }
}
