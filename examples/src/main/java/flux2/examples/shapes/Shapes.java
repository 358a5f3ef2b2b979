package flux2.examples.shapes;

import flux2.tensor.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * The procedural shapes dataset: seeded scenes of one coloured shape on white, rendered with antialiasing, and their
 * captions ("a red circle on a white background"). The base training data is {@link #scenes}: every colour/shape
 * pair equally often, never with an outline. The new concept for the LoRA example is "a zorblax" (a purple star with
 * a yellow outline, {@link #zorblaxScenes}), which the base data never shows.
 */
public final class Shapes {
    private Shapes() {}

    /** The made-up word the LoRA example teaches. */
    public static final String NEW_WORD = "zorblax";

    /** Smallest and largest radius, as fractions of the image side. */
    public static final double MIN_RADIUS = 0.22, MAX_RADIUS = 0.36;

    /** Scenes are drawn at least this far (fraction of the side) from the image border. */
    static final double MARGIN = 0.04;

    /** {@code count} base training scenes for {@code seed}: pair i % 24 of {@link #pairs()}, random position and size. */
    public static List<Scene> scenes(long seed, int count) {
        List<Scene> pairs = pairs();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Scene> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Scene p = pairs.get(i % pairs.size());
            out.add(place(p.shape(), p.color(), null, rnd));
        }
        return out;
    }

    /** {@code count} scenes of the new concept (purple star, yellow outline) at random positions and sizes. */
    public static List<Scene> zorblaxScenes(long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Scene> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(place(Shape.STAR, ShapeColor.PURPLE, ShapeColor.YELLOW, rnd));
        return out;
    }

    /**
     * {@code perColour} scenes of {@code shape} in every colour (colours inner), at random positions and sizes: the
     * class images of prior preservation, which keep a LoRA that teaches a kind of {@code shape} from changing the
     * shape's ordinary colours.
     */
    public static List<Scene> classScenes(Shape shape, long seed, int perColour) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Scene> out = new ArrayList<>(perColour * ShapeColor.values().length);
        for (int i = 0; i < perColour; i++)
            for (ShapeColor c : ShapeColor.values()) out.add(place(shape, c, null, rnd));
        return out;
    }

    /** Every colour/shape pair, colours outer, as centred scenes of medium size. */
    public static List<Scene> pairs() {
        List<Scene> out = new ArrayList<>();
        for (ShapeColor c : ShapeColor.values())
            for (Shape s : Shape.values()) out.add(new Scene(s, c, 0.5, 0.5, (MIN_RADIUS + MAX_RADIUS) / 2, null));
        return out;
    }

    /**
     * The evaluation prompts: the caption of every colour/shape pair. The base model sees these captions in training
     * but never the images that evaluation generates: those come from noise seeds, and are judged by pixel statistics.
     */
    public static List<String> heldOutPrompts() {
        return pairs().stream().map(Shapes::caption).toList();
    }

    /** The prompt of the new concept: "a zorblax on a white background". */
    public static String newWordPrompt() {
        return "a " + NEW_WORD + " on a white background";
    }

    private static Scene place(Shape shape, ShapeColor color, ShapeColor outline, SplittableRandom rnd) {
        double r = MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * rnd.nextDouble();
        double lo = r + MARGIN, span = 1 - 2 * lo;
        return new Scene(shape, color, lo + span * rnd.nextDouble(), lo + span * rnd.nextDouble(), r, outline);
    }

    /** The caption: "a red circle on a white background", "a zorblax on a white background" for the new concept. */
    public static String caption(Scene s) {
        if (s.isZorblax()) return newWordPrompt();
        String c = s.color().word();
        String noun = c + " " + s.shape().word() + (s.outline() == null ? "" : " with a " + s.outline().word() + " outline");
        return (startsWithVowel(c) ? "an " : "a ") + noun + " on a white background";
    }

    private static boolean startsWithVowel(String w) {
        return "aeiou".indexOf(w.charAt(0)) >= 0;
    }

    /** Draws the scene, antialiased, on a white {@code size} x {@code size} RGB image. */
    public static BufferedImage render(Scene s, int size) {
        if (size < 8) throw new IllegalArgumentException("image size " + size + " is too small (at least 8 px)");
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size, size);
            java.awt.Shape path = s.shape().path(s.cx() * size, s.cy() * size, s.radius() * size);
            g.setColor(s.color().awt());
            g.fill(path);
            if (s.outline() != null) {
                g.setColor(s.outline().awt());
                g.setStroke(new BasicStroke((float) outlineWidth(size), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                g.draw(path);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** The outline's stroke width in pixels: 1/16 of the side, so 2 px at 32 and 4 px at 64. */
    public static double outlineWidth(int size) {
        return size / 16.0;
    }

    /**
     * Writes the scenes as {@code prefix0.png}, {@code prefix0.txt} (the caption), ... into {@code dir} (created if
     * needed), each file through a temporary name and a rename.
     */
    public static void write(Path dir, String prefix, List<Scene> scenes, int size) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < scenes.size(); i++) {
            Scene s = scenes.get(i);
            Path png = dir.resolve(prefix + i + ".png"), txt = dir.resolve(prefix + i + ".txt");
            java.awt.image.BufferedImage img = render(s, size);
            AtomicFiles.writeStream(png, out -> ImageIO.write(img, "png", out));
            AtomicFiles.writeString(txt, caption(s));
        }
    }
}
