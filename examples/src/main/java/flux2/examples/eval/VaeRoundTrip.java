package flux2.examples.eval;

import flux2.model.image.ImageFiles;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.examples.shapes.Scene;
import flux2.examples.shapes.Shapes;
import flux2.trainer.sample.SampleNames;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The ceiling the VAE sets: pictures of what each prompt asks for, drawn by the dataset generator, encoded and
 * decoded by the model's VAE and judged like samples. A model that generates through this VAE can show a prompt's
 * target at best about as often as its round trips do.
 */
public final class VaeRoundTrip {
    private VaeRoundTrip() {}

    /** The scores of the prompts that name a colour and a shape, or the new word ({@code count} pictures each). */
    public static Evaluation.Result run(AutoEncoder vae, List<String> prompts, int size, long seed, int count, Path dir) throws IOException {
        List<PromptScore> scores = new ArrayList<>();
        Map<String, List<BufferedImage>> images = new LinkedHashMap<>();
        for (String p : prompts) {
            PromptTarget t = PromptTarget.of(p);
            List<Scene> scenes = scenes(t, seed, count);
            if (scenes.isEmpty()) continue;
            List<Verdict> verdicts = new ArrayList<>();
            List<BufferedImage> imgs = new ArrayList<>();
            for (int k = 0; k < scenes.size(); k++) {
                Path file = dir.resolve(SampleNames.png(p, seed + k));
                try (var a = TensorArena.open("vae-round-trip")) {
                    ImageFiles.writePng(vae.decode(vae.encode(tensor(Shapes.render(scenes.get(k), size)))), file);
                }
                BufferedImage img = ImageIO.read(file.toFile());
                imgs.add(img);
                verdicts.add(ShapeClassifier.classify(img));
            }
            scores.add(new PromptScore(t, verdicts));
            images.put(p, imgs);
        }
        return new Evaluation.Result(scores, images);
    }

    /** {@code count} generator scenes of the target at random places and sizes; none for a prompt without one. */
    static List<Scene> scenes(PromptTarget t, long seed, int count) {
        if (t.zorblax()) return Shapes.zorblaxScenes(seed, count);
        if (t.color() == null || t.shape() == null) return List.of();
        // the base scenes cycle through every colour/shape pair: take this pair's
        return Shapes.scenes(seed, Shapes.pairs().size() * count).stream()
                .filter(s -> s.color() == t.color() && s.shape() == t.shape()).limit(count).toList();
    }

    /** An RGB picture as the image tensor [1, 3, H, W] in [-1, 1] the VAE takes. */
    static Tensor tensor(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        float[] v = new float[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) v[(c * h + y) * w + x] = (rgb >> (16 - 8 * c) & 255) / 127.5f - 1;
            }
        }
        return Tensor.of(v, 1, 3, h, w);
    }
}
