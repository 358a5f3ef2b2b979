package flux2.examples.shapes;

import java.awt.Color;

/** The named colours of the shapes dataset with their exact sRGB values (what a classifier compares against). */
public enum ShapeColor {
    RED(230, 25, 25),
    GREEN(30, 170, 50),
    BLUE(30, 70, 230),
    YELLOW(245, 210, 20),
    PURPLE(140, 40, 190),
    ORANGE(245, 130, 20);

    /** Red, green and blue, 0..255. */
    public final int r, g, b;

    ShapeColor(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** The word used in captions ("red"). */
    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The packed 0xRRGGBB value. */
    public int rgb() {
        return r << 16 | g << 8 | b;
    }

    Color awt() {
        return new Color(r, g, b);
    }
}
