package flux2.examples.shapes;

import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;

/** The shapes of the dataset, each drawn upright around a centre with a radius (the circumscribed circle's). */
public enum Shape {
    CIRCLE, SQUARE, TRIANGLE, STAR;

    /** The word used in captions ("circle"). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The outline in pixel coordinates for centre (cx, cy) and radius r. */
    public java.awt.Shape path(double cx, double cy, double r) {
        return switch (this) {
            case CIRCLE -> new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            // a square inscribed in the circle would look small next to the circle; 0.85 r keeps the areas comparable
            case SQUARE -> new Rectangle2D.Double(cx - 0.85 * r, cy - 0.85 * r, 1.7 * r, 1.7 * r);
            case TRIANGLE -> polygon(cx, cy, 3, r, r);
            case STAR -> polygon(cx, cy, 5, r, 0.45 * r);
        };
    }

    /** A regular polygon (inner == outer) or star with {@code points} tips, the first pointing up. */
    private static Path2D polygon(double cx, double cy, int points, double outer, double inner) {
        Path2D p = new Path2D.Double();
        int corners = inner == outer ? points : 2 * points;
        for (int i = 0; i < corners; i++) {
            double rad = inner == outer || i % 2 == 0 ? outer : inner;
            double a = -Math.PI / 2 + 2 * Math.PI * i / corners;
            double x = cx + rad * Math.cos(a), y = cy + rad * Math.sin(a);
            if (i == 0) p.moveTo(x, y);
            else p.lineTo(x, y);
        }
        p.closePath();
        return p;
    }
}
