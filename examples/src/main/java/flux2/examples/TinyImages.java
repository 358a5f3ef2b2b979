package flux2.examples;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Procedural training images with textfile captions: coloured squares, then circles, on white, 64 px high and 64
 * to 112 px wide (so that center crops matter). Drawn without antialiasing, so the PNG bytes are the same on every run.
 */
public final class TinyImages {
    private TinyImages() {}

    private static final Color[] COLORS = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE};
    private static final String[] NAMES = {"red", "green", "blue", "orange"};
    private static final String[] SHAPES = {"square", "circle"};

    /** Writes {@code count} images img0.png... and their captions img0.txt... into {@code dir} (created if needed). */
    public static void write(Path dir, int count) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < count; i++) {
            int c = i % COLORS.length, shape = (i / COLORS.length) % SHAPES.length;
            BufferedImage img = new BufferedImage(64 + 16 * c, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            g.setColor(COLORS[c]);
            if (shape == 0) g.fillRect(8 + 4 * c, 12, 32, 32);
            else g.fillOval(12 + 4 * c, 14, 36, 36);
            g.dispose();
            ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
            String article = NAMES[c].equals("orange") ? "an " : "a ";
            Files.writeString(dir.resolve("img" + i + ".txt"), article + NAMES[c] + " " + SHAPES[shape]);
        }
    }
}
