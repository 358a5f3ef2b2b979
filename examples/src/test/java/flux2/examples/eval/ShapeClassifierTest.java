package flux2.examples.eval;

import static org.junit.jupiter.api.Assertions.*;

import flux2.examples.shapes.Scene;
import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ShapeClassifierTest {
    /** 10 random placements of each of the 24 colour/shape pairs. */
    private static final int PER_PAIR = 10;

    @ParameterizedTest
    @ValueSource(ints = {32, 64})
    void namesColourAndShapeOfGeneratedScenes(int size) {
        List<Scene> scenes = Shapes.scenes(1234 + size, 24 * PER_PAIR);
        int colour = 0, shape = 0;
        StringBuilder wrong = new StringBuilder();
        for (Scene s : scenes) {
            Verdict v = ShapeClassifier.classify(Shapes.render(s, size));
            if (v.color() == s.color()) colour++;
            if (v.shape() == s.shape()) shape++;
            else wrong.append(s).append(" -> ").append(v).append('\n');
            assertFalse(v.zorblax(), "no outline, no zorblax: " + s);
        }
        double n = scenes.size();
        assertTrue(colour / n >= 0.98, "colour right in " + colour + " of " + scenes.size());
        assertTrue(shape / n >= 0.95, "shape right in " + shape + " of " + scenes.size() + ":\n" + wrong);
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64})
    void findsTheZorblaxAndNotPlainStars(int size) {
        int found = 0;
        List<Scene> zorblaxes = Shapes.zorblaxScenes(99 + size, 40);
        for (Scene s : zorblaxes) if (ShapeClassifier.classify(Shapes.render(s, size)).zorblax()) found++;
        assertTrue(found >= 0.95 * zorblaxes.size(), "zorblax found in " + found + " of " + zorblaxes.size());

        int falseAlarms = 0, trials = 0;
        for (Scene z : zorblaxes) {
            // the same stars without the outline, in each of the two colours of the concept, and reversed colours
            for (Scene s : List.of(new Scene(Shape.STAR, ShapeColor.PURPLE, z.cx(), z.cy(), z.radius(), null),
                    new Scene(Shape.STAR, ShapeColor.YELLOW, z.cx(), z.cy(), z.radius(), null),
                    new Scene(Shape.STAR, ShapeColor.YELLOW, z.cx(), z.cy(), z.radius(), ShapeColor.PURPLE),
                    new Scene(Shape.CIRCLE, ShapeColor.PURPLE, z.cx(), z.cy(), z.radius(), ShapeColor.YELLOW))) {
                trials++;
                if (ShapeClassifier.classify(Shapes.render(s, size)).zorblax()) falseAlarms++;
            }
        }
        assertEquals(0, falseAlarms, "false zorblaxes in " + trials + " look-alikes");
    }

    @Test
    void rejectsNoiseAndBlankImages() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int size : new int[]{32, 64}) {
            for (int k = 0; k < 20; k++) {
                BufferedImage uniform = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                BufferedImage grey = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                BufferedImage faint = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        uniform.setRGB(x, y, rnd.nextInt(1 << 24));
                        grey.setRGB(x, y, gray(128 + 60 * gaussian(rnd)));
                        faint.setRGB(x, y, gray(235 + 8 * gaussian(rnd)));
                    }
                }
                for (BufferedImage img : List.of(uniform, grey, faint)) {
                    Verdict v = ShapeClassifier.classify(img);
                    assertFalse(v.recognised(), "noise taken for " + v);
                    assertNull(v.color());
                    assertNull(v.shape());
                }
            }
        }
        BufferedImage white = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) white.setRGB(x, y, 0xFFFFFF);
        assertFalse(ShapeClassifier.classify(white).recognised());
    }

    private static double gaussian(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    private static int gray(double v) {
        int g = (int) Math.max(0, Math.min(255, Math.round(v)));
        return g << 16 | g << 8 | g;
    }
}
