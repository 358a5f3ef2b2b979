package flux2.examples.eval;

import static org.junit.jupiter.api.Assertions.*;

import flux2.examples.shapes.Scene;
import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class VaeRoundTripTest {
    @Test
    void scenesShowThePromptsTarget() {
        List<Scene> s = VaeRoundTrip.scenes(PromptTarget.of("a green star on a white background"), 3, 5);
        assertEquals(5, s.size());
        for (Scene x : s) assertTrue(x.color() == ShapeColor.GREEN && x.shape() == Shape.STAR && x.outline() == null, x.toString());
        assertTrue(VaeRoundTrip.scenes(PromptTarget.of(Shapes.newWordPrompt()), 3, 4).stream().allMatch(Scene::isZorblax));
        assertTrue(VaeRoundTrip.scenes(PromptTarget.of("a cat"), 3, 4).isEmpty());
    }

    @Test
    void tensorHoldsThePixelsInMinusOneToOne() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xFF0080);
        img.setRGB(1, 0, 0x00FF00);
        float[] v = VaeRoundTrip.tensor(img).toFloatArray();
        assertArrayEquals(new float[]{1, -1, -1, 1, 128 / 127.5f - 1, -1}, v, 1e-6f);
    }
}
