package flux2.examples.eval;

import flux2.examples.shapes.ShapeColor;
import java.awt.image.BufferedImage;
import java.util.ArrayDeque;

/**
 * The pixels of an image that are not white background. A pixel's ink is its largest channel's distance below
 * 255; every named colour has ink above 210, so ink above half of that is a pixel at least half covered by a shape
 * (the rule a non-antialiased fill applies, which makes the mask comparable with a rendered template).
 */
final class Foreground {
    /** Ink from which a pixel is foreground: about half of the weakest named colour's. */
    static final int MASK_INK = 108;
    /** Ink from which a pixel votes for a colour: edge pixels blended with white would vote for lighter colours. */
    static final int CORE_INK = 150;

    final int width, height;
    final int[] rgb;
    /** Foreground pixels anywhere, and those of the largest 8-connected piece. */
    final boolean[] mask, piece;
    final int maskCount, pieceCount;
    /** Bounding box of the piece: x0 <= x < x1, y0 <= y < y1. */
    int x0, y0, x1, y1;

    Foreground(BufferedImage img) {
        width = img.getWidth();
        height = img.getHeight();
        rgb = img.getRGB(0, 0, width, height, null, 0, width);
        mask = new boolean[rgb.length];
        int n = 0;
        for (int i = 0; i < rgb.length; i++) if (mask[i] = ink(rgb[i]) >= MASK_INK) n++;
        maskCount = n;
        piece = largestPiece();
        int m = 0;
        x0 = width;
        y0 = height;
        for (int i = 0; i < piece.length; i++) {
            if (!piece[i]) continue;
            m++;
            int x = i % width, y = i / width;
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
            x1 = Math.max(x1, x + 1);
            y1 = Math.max(y1, y + 1);
        }
        pieceCount = m;
    }

    static int ink(int rgb) {
        int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
        return 255 - Math.min(r, Math.min(g, b));
    }

    /** The named colour nearest to a pixel (Euclidean distance in sRGB). */
    static ShapeColor nearest(int rgb) {
        int r = rgb >> 16 & 255, g = rgb >> 8 & 255, b = rgb & 255;
        ShapeColor best = null;
        long bestD = Long.MAX_VALUE;
        for (ShapeColor c : ShapeColor.values()) {
            long d = (long) (r - c.r) * (r - c.r) + (long) (g - c.g) * (g - c.g) + (long) (b - c.b) * (b - c.b);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }

    /** Per named colour, the number of core pixels of the piece nearest to it (all piece pixels when none is core). */
    int[] colourVotes() {
        int[] votes = new int[ShapeColor.values().length];
        boolean anyCore = false;
        for (int i = 0; i < rgb.length; i++) {
            if (piece[i] && ink(rgb[i]) >= CORE_INK) {
                votes[nearest(rgb[i]).ordinal()]++;
                anyCore = true;
            }
        }
        if (!anyCore) for (int i = 0; i < rgb.length; i++) if (piece[i]) votes[nearest(rgb[i]).ordinal()]++;
        return votes;
    }

    private boolean[] largestPiece() {
        int[] label = new int[rgb.length];
        int best = 0, bestSize = 0, next = 0;
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        for (int start = 0; start < rgb.length; start++) {
            if (!mask[start] || label[start] != 0) continue;
            int id = ++next, size = 0;
            label[start] = id;
            todo.add(start);
            while (!todo.isEmpty()) {
                int p = todo.poll();
                size++;
                int px = p % width, py = p / width;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int qx = px + dx, qy = py + dy;
                        if (qx < 0 || qy < 0 || qx >= width || qy >= height) continue;
                        int q = qy * width + qx;
                        if (mask[q] && label[q] == 0) {
                            label[q] = id;
                            todo.add(q);
                        }
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                best = id;
            }
        }
        boolean[] out = new boolean[rgb.length];
        for (int i = 0; i < out.length; i++) out[i] = best != 0 && label[i] == best;
        return out;
    }
}
