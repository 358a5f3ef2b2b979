package flux2.examples.eval;

import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
import java.awt.image.BufferedImage;

/**
 * Judges an image of the shapes dataset by pixel statistics: the dominant colour of the non-white pixels (votes
 * of the nearest named colour), the shape whose template best matches the largest foreground piece (mask IoU), and
 * the zorblax (a star whose inner pixels are purple and whose rim is yellow).
 */
public final class ShapeClassifier {
    private ShapeClassifier() {}

    /** Foreground fractions outside this range are not a shape on white: the dataset's shapes cover 3 % to 45 %. */
    static final double MIN_FOREGROUND = 0.01, MAX_FOREGROUND = 0.6;
    /** Below this best IoU no template fits: the piece is a blob, not one of the shapes. */
    static final double MIN_IOU = 0.5;
    /** Share of the piece's colour votes each of purple and yellow needs for a zorblax. */
    static final double ZORBLAX_SHARE = 0.15;

    /** The verdict on one image. */
    public static Verdict classify(BufferedImage img) {
        Foreground fg = new Foreground(img);
        double fraction = (double) fg.maskCount / fg.mask.length;
        if (fraction < MIN_FOREGROUND || fraction > MAX_FOREGROUND) return Verdict.rejected(fraction, 0);
        Shape best = null;
        double bestIou = -1;
        for (Shape s : Shape.values()) {
            double iou = TemplateFit.iou(s, fg);
            if (iou > bestIou) {
                bestIou = iou;
                best = s;
            }
        }
        if (bestIou < MIN_IOU) return Verdict.rejected(fraction, bestIou);
        int[] votes = fg.colourVotes();
        ShapeColor color = ShapeColor.values()[0];
        int total = 0;
        for (ShapeColor c : ShapeColor.values()) {
            total += votes[c.ordinal()];
            if (votes[c.ordinal()] > votes[color.ordinal()]) color = c;
        }
        boolean zorblax = best == Shape.STAR && isZorblax(fg, votes, total);
        return new Verdict(true, color, best, bestIou, zorblax, fraction);
    }

    /** Enough purple and yellow, the yellow further from the piece's centre on average than the purple (a rim). */
    private static boolean isZorblax(Foreground fg, int[] votes, int total) {
        if (total == 0) return false;
        if (votes[ShapeColor.PURPLE.ordinal()] < ZORBLAX_SHARE * total || votes[ShapeColor.YELLOW.ordinal()] < ZORBLAX_SHARE * total)
            return false;
        double cx = 0, cy = 0;
        int n = 0;
        for (int i = 0; i < fg.piece.length; i++) {
            if (!fg.piece[i]) continue;
            cx += i % fg.width + 0.5;
            cy += i / fg.width + 0.5;
            n++;
        }
        cx /= n;
        cy /= n;
        double purple = 0, yellow = 0;
        int np = 0, ny = 0;
        for (int i = 0; i < fg.piece.length; i++) {
            if (!fg.piece[i] || Foreground.ink(fg.rgb[i]) < Foreground.CORE_INK) continue;
            double d = Math.hypot(i % fg.width + 0.5 - cx, i / fg.width + 0.5 - cy);
            ShapeColor c = Foreground.nearest(fg.rgb[i]);
            if (c == ShapeColor.PURPLE) {
                purple += d;
                np++;
            } else if (c == ShapeColor.YELLOW) {
                yellow += d;
                ny++;
            }
        }
        return np > 0 && ny > 0 && yellow / ny > purple / np;
    }
}
