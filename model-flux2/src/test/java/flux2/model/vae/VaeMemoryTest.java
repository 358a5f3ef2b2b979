package flux2.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.MemoryStats;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/**
 * Peak memory of a full-size (FLUX.2 config) encode at 128x128 with random weights: banded convolutions and
 * per-layer arenas keep it near three full-resolution activations plus a few bands, far below the sum of all
 * activations a straightforward forward pass would hold.
 */
class VaeMemoryTest {
    @Test
    void fullSizeEncodePeakStaysNearThreeActivations() {
        VaeConfig config = VaeConfig.flux2();
        int side = 128;
        long tile = 512L << 10;
        try (TensorArena weights = TensorArena.open("vae-weights")) {
            AutoEncoder vae = AutoEncoder.of(VaeWeights.random(config, new Rng(1)), tile);
            Tensor image = new Rng(2).uniform(-1, 1, 1, 3, side, side);
            try (TensorArena run = TensorArena.open("vae-run")) {
                MemoryStats.resetPeak();
                long before = MemoryStats.liveBytes();
                Tensor latent = vae.encode(image);
                long peak = MemoryStats.peakBytes() - before;
                assertArrayEquals(new int[]{1, 128, side / 16, side / 16}, latent.shape());
                // The widest activation: ch channels at full resolution. A ResNet block holds its input, its
                // first convolution and its output at once; bands add a few tiles; the image itself is an input.
                long activation = 4L * config.ch() * side * side;
                long bound = 3 * activation + 8 * tile + 4L * 3 * side * side;
                System.out.printf("VAE encode %dx%d full-size config: peak %.1f MiB, bound %.1f MiB, one activation %.1f MiB%n",
                        side, side, peak / 1048576.0, bound / 1048576.0, activation / 1048576.0);
                assertTrue(peak < bound, "peak " + peak + " bytes above the bound " + bound);
                assertTrue(Double.isFinite(latent.abs().max().item()), "latent is finite");
            }
        }
    }
}
