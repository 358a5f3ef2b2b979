package flux2.examples.shapes;

/**
 * One picture: a shape in a colour, centred at (cx, cy) with radius {@code radius}, all as fractions of the image
 * side, on white; {@code outline} is the colour of a border drawn around the shape, or null for none.
 */
public record Scene(Shape shape, ShapeColor color, double cx, double cy, double radius, ShapeColor outline) {
    /** Checks that the shape lies inside the image. */
    public Scene {
        if (shape == null || color == null) throw new IllegalArgumentException("a scene needs a shape and a colour");
        if (radius <= 0 || cx - radius < 0 || cx + radius > 1 || cy - radius < 0 || cy + radius > 1)
            throw new IllegalArgumentException("scene " + shape + " at (" + cx + ", " + cy + ") radius " + radius
                    + " does not fit in the image (all are fractions of the side, 0..1)");
    }

    /** True for the concept named by {@link Shapes#NEW_WORD}: a purple star with a yellow outline. */
    public boolean isZorblax() {
        return shape == Shape.STAR && color == ShapeColor.PURPLE && outline == ShapeColor.YELLOW;
    }
}
