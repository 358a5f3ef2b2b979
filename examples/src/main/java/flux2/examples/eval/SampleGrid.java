package flux2.examples.eval;

import flux2.tensor.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A composite PNG of samples: one row per prompt, its label on the left, then one block of columns per variant
 * (for example "before" and "after" a LoRA) under a heading. Images smaller than {@link #MIN_CELL} pixels are
 * enlarged by a whole factor without smoothing, so that a 32x32 sample shows its pixels.
 */
public final class SampleGrid {
    private SampleGrid() {}

    /** One row: a label and, per variant, its images (all of the same size). */
    public record Row(String label, List<List<BufferedImage>> blocks) {}

    /** Layout in pixels: the label column, the heading row, the gap between blocks, the space after each image. */
    public static final int LABEL_WIDTH = 230, HEADER = 18, GAP = 12, PAD = 2, MIN_CELL = 64;

    /** The whole factor that brings a side of {@code side} pixels to at least {@link #MIN_CELL}. */
    public static int scale(int side) {
        return Math.max(1, (MIN_CELL + side - 1) / side);
    }

    /** Draws the rows under {@code headings} (one per block) and writes the PNG through a temporary file. */
    public static void write(Path file, List<String> headings, List<Row> rows) throws IOException {
        if (rows.isEmpty()) throw new IllegalArgumentException("a grid needs at least one row");
        BufferedImage first = rows.getFirst().blocks().getFirst().getFirst();
        int side = Math.max(first.getWidth(), first.getHeight());
        int scale = scale(side);
        int cell = side * scale + PAD;
        int perBlock = rows.getFirst().blocks().getFirst().size();
        Font headingFont = new Font(Font.SANS_SERIF, Font.BOLD, 12);
        int blockWidth = perBlock * cell;
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        for (String h : headings) blockWidth = Math.max(blockWidth, pg.getFontMetrics(headingFont).stringWidth(h) + 8);
        pg.dispose();
        int width = LABEL_WIDTH + headings.size() * blockWidth + (headings.size() - 1) * GAP;
        int height = HEADER + rows.size() * cell;
        BufferedImage grid = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(new Color(235, 235, 235));
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(headingFont);
            for (int b = 0; b < headings.size(); b++) g.drawString(headings.get(b), LABEL_WIDTH + b * (blockWidth + GAP) + 4, HEADER - 5);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (int r = 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                int y = HEADER + r * cell;
                g.drawString(row.label(), 4, y + cell / 2 + 4);
                for (int b = 0; b < row.blocks().size(); b++) {
                    List<BufferedImage> imgs = row.blocks().get(b);
                    for (int i = 0; i < imgs.size() && i < perBlock; i++)
                        g.drawImage(imgs.get(i), LABEL_WIDTH + b * (blockWidth + GAP) + i * cell, y,
                                imgs.get(i).getWidth() * scale, imgs.get(i).getHeight() * scale, null);
                }
            }
        } finally {
            g.dispose();
        }
        Path abs = file.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        AtomicFiles.writeStream(abs, out -> ImageIO.write(grid, "png", out));
    }
}
