package flux2.examples;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Procedural edit pairs: a reference image (a red, green, orange or yellow square or circle on white, 32 x 32, the miniature model's training size) and
 * its edit (the same shape at the same place, recoloured blue), with the caption of the edit. Drawn without
 * antialiasing, so the PNG bytes are the same on every run.
 */
public final class TinyEditImages {
    private TinyEditImages() {}

    /** The colour every edit paints the shape in. */
    public static final Color TARGET = Color.BLUE;
    /** The caption of every edit. */
    public static final String CAPTION = "make the shape blue";

    private static final Color[] COLORS = {Color.RED, Color.GREEN, Color.ORANGE, Color.YELLOW, Color.MAGENTA};
    static final int SIZE = 32;

    /**
     * Writes {@code count} pairs: edit/pairN.png with edit/pairN.txt into {@code editDir}, reference/pairN.png into
     * {@code referenceDir} (the same file name, which is how a conditioning dataset is paired).
     */
    public static void writePairs(Path editDir, Path referenceDir, int count) throws IOException {
        Files.createDirectories(editDir);
        Files.createDirectories(referenceDir);
        for (int i = 0; i < count; i++) {
            int c = i % 4, shape = (i / 4) % 2, shift = 2 * (i % 3);
            write(draw(COLORS[c], shape, shift), referenceDir.resolve("pair" + i + ".png"));
            write(draw(TARGET, shape, shift), editDir.resolve("pair" + i + ".png"));
            Files.writeString(editDir.resolve("pair" + i + ".txt"), CAPTION);
        }
    }

    /** A held-out reference for validation: a magenta shape (a colour the pairs never show). */
    public static void writeValidationReference(Path file, int shape) throws IOException {
        Files.createDirectories(file.getParent());
        write(draw(COLORS[4], shape, 3), file);
    }

    private static BufferedImage draw(Color color, int shape, int shift) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, SIZE, SIZE);
        g.setColor(color);
        if (shape == 0) g.fillRect(7 + shift, 7 + shift / 2, 16, 16);
        else g.fillOval(6 + shift, 6 + shift / 2, 18, 18);
        g.dispose();
        return img;
    }

    private static void write(BufferedImage img, Path file) throws IOException {
        ImageIO.write(img, "png", file.toFile());
    }
}
