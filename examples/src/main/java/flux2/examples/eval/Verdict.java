package flux2.examples.eval;

import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;

/**
 * What {@link ShapeClassifier} sees in an image. {@code recognised} is false when the image is not one shape on
 * white (no foreground, too much of it, or no template fits); colour and shape are then null. {@code color} is the
 * dominant foreground colour, {@code shape} the best template match with its IoU {@code iou}, and {@code zorblax}
 * whether the shape is a purple star with a yellow outline.
 */
public record Verdict(boolean recognised, ShapeColor color, Shape shape, double iou, boolean zorblax, double foreground) {
    /** An image that shows no single shape on white; {@code foreground} is its fraction of non-white pixels. */
    public static Verdict rejected(double foreground, double iou) {
        return new Verdict(false, null, null, iou, false, foreground);
    }
}
