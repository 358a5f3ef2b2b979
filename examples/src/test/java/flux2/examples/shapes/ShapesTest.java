package flux2.examples.shapes;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesTest {
    @Test
    void sameSeedSameScenesAndPixels() {
        List<Scene> a = Shapes.scenes(5, 30), b = Shapes.scenes(5, 30);
        assertEquals(a, b);
        assertNotEquals(a, Shapes.scenes(6, 30));
        for (int i = 0; i < a.size(); i += 7) {
            BufferedImage x = Shapes.render(a.get(i), 64), y = Shapes.render(b.get(i), 64);
            assertArrayEquals(x.getRGB(0, 0, 64, 64, null, 0, 64), y.getRGB(0, 0, 64, 64, null, 0, 64));
        }
    }

    @Test
    void everyPairEquallyOftenNeverOutlined() {
        List<Scene> s = Shapes.scenes(1, 48);
        Map<String, Integer> counts = new HashMap<>();
        for (Scene x : s) {
            assertNull(x.outline());
            assertFalse(x.isZorblax());
            counts.merge(x.color() + "/" + x.shape(), 1, Integer::sum);
        }
        assertEquals(24, counts.size());
        assertTrue(counts.values().stream().allMatch(n -> n == 2), counts.toString());
    }

    @Test
    void classScenesAreTheShapeInEveryColourInsideTheImage() {
        List<Scene> s = Shapes.classScenes(Shape.STAR, 3, 4);
        assertEquals(4 * ShapeColor.values().length, s.size());
        Map<ShapeColor, Integer> counts = new HashMap<>();
        for (Scene x : s) {
            assertEquals(Shape.STAR, x.shape());
            assertNull(x.outline());
            assertTrue(x.radius() >= Shapes.MIN_RADIUS && x.radius() <= Shapes.MAX_RADIUS, x.toString());
            assertTrue(x.cx() - x.radius() >= 0 && x.cx() + x.radius() <= 1 && x.cy() - x.radius() >= 0 && x.cy() + x.radius() <= 1, x.toString());
            counts.merge(x.color(), 1, Integer::sum);
        }
        assertTrue(counts.values().stream().allMatch(n -> n == 4), counts.toString());
        assertEquals(s, Shapes.classScenes(Shape.STAR, 3, 4));
        assertNotEquals(s, Shapes.classScenes(Shape.STAR, 4, 4));
        assertEquals("a purple star on a white background", Shapes.caption(s.get(ShapeColor.PURPLE.ordinal())));
    }

    @Test
    void shapeCentreHasTheExactColourAndCornersAreWhite() {
        for (Scene s : Shapes.scenes(3, 24)) {
            for (int size : new int[]{32, 64}) {
                BufferedImage img = Shapes.render(s, size);
                int cx = (int) (s.cx() * size), cy = (int) (s.cy() * size);
                assertEquals(s.color().rgb(), img.getRGB(cx, cy) & 0xFFFFFF, s + " at " + size);
                // the margin keeps every shape off the border
                assertEquals(0xFFFFFF, img.getRGB(0, 0) & 0xFFFFFF);
                assertEquals(0xFFFFFF, img.getRGB(size - 1, size - 1) & 0xFFFFFF);
            }
        }
    }

    @Test
    void shapesDifferInCoverage() {
        // at the same place and size the covered areas follow the geometry
        Map<Shape, Double> area = new HashMap<>();
        for (Shape sh : Shape.values()) {
            BufferedImage img = Shapes.render(new Scene(sh, ShapeColor.BLUE, 0.5, 0.5, 0.35, null), 64);
            // antialiased edges are partly covered: the red channel goes from 255 (white) to the colour's 30 linearly
            double n = 0;
            for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) n += (255 - (img.getRGB(x, y) >> 16 & 0xFF)) / (255.0 - ShapeColor.BLUE.r);
            area.put(sh, n);
        }
        double r = 0.35 * 64;
        assertEquals(Math.PI * r * r, area.get(Shape.CIRCLE), 0.02 * Math.PI * r * r);
        assertEquals(1.7 * r * 1.7 * r, area.get(Shape.SQUARE), 0.02 * 1.7 * r * 1.7 * r);
        double triangle = 3 * Math.sqrt(3) / 4 * r * r, star = 5 * r * 0.45 * r * Math.sin(Math.PI / 5);
        assertEquals(triangle, area.get(Shape.TRIANGLE), 0.02 * triangle);
        assertEquals(star, area.get(Shape.STAR), 0.02 * star);
    }

    @Test
    void captions() {
        assertEquals("a red circle on a white background",
                Shapes.caption(new Scene(Shape.CIRCLE, ShapeColor.RED, 0.5, 0.5, 0.3, null)));
        assertEquals("an orange star on a white background",
                Shapes.caption(new Scene(Shape.STAR, ShapeColor.ORANGE, 0.5, 0.5, 0.3, null)));
        assertEquals("a blue square with a yellow outline on a white background",
                Shapes.caption(new Scene(Shape.SQUARE, ShapeColor.BLUE, 0.5, 0.5, 0.3, ShapeColor.YELLOW)));
        assertEquals("a zorblax on a white background", Shapes.caption(Shapes.zorblaxScenes(1, 1).getFirst()));
        assertEquals(24, Shapes.heldOutPrompts().size());
        assertTrue(Shapes.heldOutPrompts().contains("a purple triangle on a white background"));
        assertTrue(Shapes.heldOutPrompts().stream().noneMatch(p -> p.contains(Shapes.NEW_WORD)));
    }

    @Test
    void zorblaxHasAYellowOutlineAroundAPurpleStar() {
        Scene z = Shapes.zorblaxScenes(9, 1).getFirst();
        assertTrue(z.isZorblax());
        BufferedImage img = Shapes.render(z, 64);
        int cx = (int) (z.cx() * 64), cy = (int) (z.cy() * 64);
        assertEquals(ShapeColor.PURPLE.rgb(), img.getRGB(cx, cy) & 0xFFFFFF);
        // the top tip lies at (cx, cy - r): the stroke is centred on it
        int tipY = (int) Math.round((z.cy() - z.radius()) * 64);
        assertEquals(ShapeColor.YELLOW.rgb(), img.getRGB(cx, tipY) & 0xFFFFFF);
    }

    @Test
    void sceneOutsideTheImageIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Scene(Shape.CIRCLE, ShapeColor.RED, 0.1, 0.5, 0.3, null));
        assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    }

    @Test
    void writesPngsAndCaptions(@TempDir Path dir) throws Exception {
        List<Scene> s = Shapes.scenes(2, 3);
        Shapes.write(dir, "img", s, 32);
        for (int i = 0; i < 3; i++) {
            assertEquals(Shapes.caption(s.get(i)), Files.readString(dir.resolve("img" + i + ".txt")));
            BufferedImage img = javax.imageio.ImageIO.read(dir.resolve("img" + i + ".png").toFile());
            assertEquals(32, img.getWidth());
            assertArrayEquals(Shapes.render(s.get(i), 32).getRGB(0, 0, 32, 32, null, 0, 32), img.getRGB(0, 0, 32, 32, null, 0, 32));
        }
        try (var files = Files.list(dir)) {
            assertEquals(6, files.count(), "no temporary files are left");
        }
    }
}
