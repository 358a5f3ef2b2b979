package flux2.examples.eval;

import flux2.trainer.sample.ImageSampler;
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
 * Samples each prompt {@code count} times (seeds N, N+1, ...), writes the PNGs into a folder and judges them with
 * {@link ShapeClassifier}, judging the written files so that the figures are those of the images one can look at.
 */
public final class Evaluation {
    private Evaluation() {}

    /** The scores and the images of every prompt, in prompt order. */
    public record Result(List<PromptScore> scores, Map<String, List<BufferedImage>> images) {}

    /** Runs the prompts through {@code sampler} into {@code dir}. */
    public static Result run(ImageSampler sampler, List<String> prompts, ImageSampler.Settings settings, long seed, int count, Path dir)
            throws IOException {
        List<PromptScore> scores = new ArrayList<>();
        Map<String, List<BufferedImage>> images = new LinkedHashMap<>();
        for (String p : prompts) {
            List<Verdict> verdicts = new ArrayList<>();
            List<BufferedImage> imgs = new ArrayList<>();
            for (int k = 0; k < count; k++) {
                Path file = sampler.write(p, seed + k, settings, dir.resolve(SampleNames.png(p, seed + k)));
                BufferedImage img = ImageIO.read(file.toFile());
                if (img == null) throw new IOException("could not read back " + file);
                imgs.add(img);
                verdicts.add(ShapeClassifier.classify(img));
            }
            scores.add(new PromptScore(PromptTarget.of(p), verdicts));
            images.put(p, imgs);
        }
        return new Result(scores, images);
    }

    /** Mean of the finite values (NaN when there are none): the overall figure over prompts. */
    public static double mean(List<Double> values) {
        double sum = 0;
        int n = 0;
        for (double v : values) {
            if (Double.isNaN(v)) continue;
            sum += v;
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
