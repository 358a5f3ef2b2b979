package flux2.server;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small PNG previews of dataset images, so that a page of thumbnails does not load every full-size file. */
final class Thumbnails {
    /** The largest edge asked for. */
    static final int MAX = 512;

    private Thumbnails() {}

    /** A PNG of {@code file} scaled to fit {@code edge} pixels, or null when the JDK cannot decode it (then the file itself is sent). */
    static byte[] png(Path file, int edge) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) return null;
        double s = Math.min(1.0, edge / (double) Math.max(img.getWidth(), img.getHeight()));
        int w = Math.max(1, (int) Math.round(img.getWidth() * s)), h = Math.max(1, (int) Math.round(img.getHeight() * s));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, w, h, null);
        g.dispose();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(out, "png", b);
        return b.toByteArray();
    }
}
