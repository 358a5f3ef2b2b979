package flux2.examples.eval;

import flux2.examples.shapes.Shape;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;

/**
 * The best intersection-over-union of a shape's template with a foreground piece: the template is the generator's
 * own outline, placed so that its bounding box matches the piece's, then tried at the radii that match the width,
 * the height and their mean, and shifted by half a pixel each way, since a bounding box pins the shape only to
 * about a pixel.
 */
final class TemplateFit {
    private TemplateFit() {}

    private static final double[] SHIFTS = {-0.5, 0, 0.5};

    /** The best IoU of {@code shape} with the piece of {@code fg}; 0 when the piece is empty. */
    static double iou(Shape shape, Foreground fg) {
        if (fg.pieceCount == 0) return 0;
        Rectangle2D unit = shape.path(0, 0, 1).getBounds2D();
        double bw = fg.x1 - fg.x0, bh = fg.y1 - fg.y0;
        double rw = bw / unit.getWidth(), rh = bh / unit.getHeight();
        double best = 0;
        for (double r : new double[]{rw, rh, (rw + rh) / 2}) {
            // centre so that the template's box centre lands on the piece's box centre
            double cx = (fg.x0 + fg.x1) / 2.0 - unit.getCenterX() * r, cy = (fg.y0 + fg.y1) / 2.0 - unit.getCenterY() * r;
            for (double sx : SHIFTS)
                for (double sy : SHIFTS) best = Math.max(best, iou(render(shape, cx + sx, cy + sy, r, fg.width, fg.height), fg.piece));
        }
        return best;
    }

    /** The template's pixels: those whose centre lies inside the outline (a fill without antialiasing). */
    static boolean[] render(Shape shape, double cx, double cy, double r, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fill(shape.path(cx, cy, r));
        } finally {
            g.dispose();
        }
        byte[] px = ((java.awt.image.DataBufferByte) img.getRaster().getDataBuffer()).getData();
        boolean[] out = new boolean[width * height];
        for (int i = 0; i < out.length; i++) out[i] = px[i] != 0;
        return out;
    }

    static double iou(boolean[] a, boolean[] b) {
        int inter = 0, union = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] && b[i]) inter++;
            if (a[i] || b[i]) union++;
        }
        return union == 0 ? 0 : (double) inter / union;
    }
}
