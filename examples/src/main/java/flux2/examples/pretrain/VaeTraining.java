package flux2.examples.pretrain;

import flux2.autograd.F;
import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.autograd.optim.GradClip;
import flux2.model.vae.AutoEncoder;
import flux2.model.vae.VaeConfig;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.examples.shapes.Scene;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import flux2.model.vae.VaeWeights;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Reconstruction training of a miniature VAE on shapes images, then the batch-norm statistics of its patchified
 * latents. The loss is the mean squared error between the image and the decoded posterior mean, in [-1, 1] pixel
 * units: the images are flat colours on white, for which MSE converges fast and the posterior's variance (and the
 * KL term) plays no part, since FLUX.2 encodes the mean only.
 */
public final class VaeTraining {
    private VaeTraining() {}

    /** How the training went: the mean loss of the first and the last tenth of the steps, and the wall time. */
    public record Result(double firstLoss, double lastLoss, double seconds) {}

    /**
     * Scenes for the autoencoder: the base scenes, every fourth one with an outline in another colour, so that the
     * VAE can draw outlines, which the LoRA example needs (the new word's exact combination is left out).
     */
    public static List<Scene> scenes(long seed, int count) {
        List<Scene> base = Shapes.scenes(seed, count);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x6F75746CL);
        List<Scene> out = new ArrayList<>(count);
        ShapeColor[] colors = ShapeColor.values();
        for (int i = 0; i < count; i++) {
            Scene s = base.get(i);
            if (i % 4 == 3) {
                List<ShapeColor> allowed = new ArrayList<>();
                for (ShapeColor o : colors) {
                    Scene outlined = new Scene(s.shape(), s.color(), s.cx(), s.cy(), s.radius(), o);
                    if (o != s.color() && !outlined.isZorblax()) allowed.add(o);
                }
                s = new Scene(s.shape(), s.color(), s.cx(), s.cy(), s.radius(), allowed.get(rnd.nextInt(allowed.size())));
            }
            out.add(s);
        }
        return out;
    }

    /** Images [N, 3, size, size] in [-1, 1] of scenes, in the current arena. */
    public static Tensor images(List<Scene> scenes, int size) {
        float[] px = new float[scenes.size() * 3 * size * size];
        int plane = size * size;
        for (int n = 0; n < scenes.size(); n++) {
            BufferedImage img = Shapes.render(scenes.get(n), size);
            int base = n * 3 * plane;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    int rgb = img.getRGB(x, y), i = y * size + x;
                    px[base + i] = (rgb >> 16 & 0xFF) / 127.5f - 1;
                    px[base + plane + i] = (rgb >> 8 & 0xFF) / 127.5f - 1;
                    px[base + 2 * plane + i] = (rgb & 0xFF) / 127.5f - 1;
                }
        }
        return Tensor.of(px, scenes.size(), 3, size, size);
    }

    /**
     * Trains {@code net} for {@code steps} AdamW steps of {@code batch} fresh images each (seeded scenes, never
     * repeated), learning rate {@code lr} after a 20-step warm-up, decaying linearly to a tenth over the last 30 %.
     */
    public static Result train(AutoEncoder net, int size, int steps, int batch, double lr, long seed, Consumer<String> log) {
        return train(net, name -> true, size, steps, batch, lr, seed, log);
    }

    /**
     * As {@link #train(AutoEncoder, int, int, int, double, long, Consumer)}, updating only the parameters whose official
     * names {@code trainable} accepts; the others are frozen.
     */
    public static Result train(AutoEncoder net, Predicate<String> trainable, int size, int steps, int batch, double lr, long seed,
                               Consumer<String> log) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        net.weights().forEach((name, p) -> {
            p.setTrainable(trainable.test(name));
            if (p.trainable()) params.put(name, p);
        });
        long started = System.nanoTime();
        List<Scene> scenes = scenes(seed, steps * batch);
        double first = 0, last = 0;
        int tenth = Math.max(1, steps / 10);
        try (TensorArena opt = TensorArena.create("vae-optimizer")) {
            AdamW adam = new AdamW(params, lr, 0.9, 0.99, 1e-8, 0, opt);
            for (int step = 0; step < steps; step++) {
                double decay = step < 0.7 * steps ? 1 : 1 - 0.9 * (step - 0.7 * steps) / (0.3 * steps);
                adam.setLr(lr * Math.min(1, (step + 1) / 20.0) * decay);
                double loss;
                try (var a = TensorArena.open("vae-step")) {
                    Var x = Var.constant(images(scenes.subList(step * batch, (step + 1) * batch), size));
                    Var l = F.mseLoss(net.decoder.forward(net.posteriorMean(x)), x);
                    loss = l.data().item();
                    if (!Double.isFinite(loss)) throw new IllegalStateException("VAE loss is " + loss + " at step " + (step + 1) + ": lower the learning rate");
                    l.backward();
                }
                GradClip.clipGlobalNorm(params.values(), 1.0);
                adam.step();
                adam.zeroGrad();
                if (step < tenth) first += loss / tenth;
                if (step >= steps - tenth) last += loss / tenth;
                if ((step + 1) % 25 == 0 || step + 1 == steps)
                    log.accept(String.format(java.util.Locale.ROOT, "vae step %d/%d loss %.5f (%.0f s)", step + 1, steps, loss,
                            (System.nanoTime() - started) / 1e9));
            }
        }
        return new Result(first, last, (System.nanoTime() - started) / 1e9);
    }

    /**
     * The batch-norm statistics FLUX.2 standardises latents with: per channel of the 2x2-patchified posterior means
     * of {@code scenes}, the mean and the unbiased variance (as BatchNorm's running_var), [z*p*p] each.
     */
    public static Tensor[] batchNormStats(AutoEncoder net, List<Scene> scenes, int size, int batch) {
        VaeConfig c = net.config();
        int ch = c.latentChannels();
        double[] sum = new double[ch], sq = new double[ch];
        long count = 0;
        try (var g = GradMode.off()) {
            for (int from = 0; from < scenes.size(); from += batch) {
                try (var a = TensorArena.open("vae-stats")) {
                    List<Scene> part = scenes.subList(from, Math.min(scenes.size(), from + batch));
                    Tensor z = Layouts.pixelUnshuffle(net.posteriorMean(Var.constant(images(part, size))).data(), c.patch()).contiguous();
                    float[] v = z.toFloatArray();
                    int n = z.size(0), hw = z.size(2) * z.size(3);
                    for (int i = 0; i < n; i++)
                        for (int k = 0; k < ch; k++)
                            for (int j = 0; j < hw; j++) {
                                double x = v[(i * ch + k) * hw + j];
                                sum[k] += x;
                                sq[k] += x * x;
                            }
                    count += (long) n * hw;
                }
            }
        }
        float[] mean = new float[ch], var = new float[ch];
        for (int k = 0; k < ch; k++) {
            double m = sum[k] / count;
            mean[k] = (float) m;
            var[k] = (float) ((sq[k] - count * m * m) / (count - 1));
        }
        return new Tensor[]{Tensor.of(mean, ch), Tensor.of(var, ch)};
    }

    /** The official-name weights of a trained net in {@code dtype} (F32 batch-norm statistics added), in the current arena. */
    public static Map<String, Tensor> weights(AutoEncoder net, Tensor[] bn, DType dtype) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        net.weights().forEach((k, p) -> out.put(k, p.value().to(dtype)));
        out.put("bn.running_mean", bn[0]);
        out.put("bn.running_var", bn[1]);
        return out;
    }

    /** True for the decoder's parameters (decoder.* and post_quant_conv.*): those that leave the latents as they are. */
    public static boolean isDecoder(String name) {
        return name.startsWith("decoder.") || name.startsWith("post_quant_conv.");
    }

    /**
     * Loads the weights of a diffusers VAE folder (as {@link flux2.examples.TinyModel#writeVaeFolder} writes
     * them) into {@code net}; returns its batch-norm statistics {running_mean, running_var} in the current arena.
     */
    public static Tensor[] load(AutoEncoder net, Path folder) throws IOException {
        try (TensorSource src = Checkpoints.open(folder)) {
            VaeWeights w = VaeWeights.load(src, net.config());
            for (var e : net.weights().entrySet()) e.getValue().value().copyFrom(w.get(e.getKey()));
            // copied: the file's mapping closes with the source
            TensorArena here = TensorArena.current();
            return new Tensor[]{w.get("bn.running_mean").copyTo(here), w.get("bn.running_var").copyTo(here)};
        }
    }

    /**
     * A seeded net of a config in {@code arena}: convolutions normal with std 1/sqrt(fan-in), the last decoder
     * convolution scaled by 0.1 (so the untrained output starts near grey), norms identity, biases zero.
     */
    public static AutoEncoder create(VaeConfig c, long seed, TensorArena arena) {
        return new AutoEncoder(c, arena).initialize(new Rng(seed), 0.1);
    }
}
