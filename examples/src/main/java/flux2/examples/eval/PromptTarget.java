package flux2.examples.eval;

import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a prompt asks for, read from its words: a named colour and a shape ("a red circle on a white background"),
 * or the new concept ("a zorblax ..."). Either part may be absent (null) for a prompt that does not name it.
 */
public record PromptTarget(String prompt, ShapeColor color, Shape shape, boolean zorblax) {
    /** The target of {@code prompt}; the first colour and shape word count. */
    public static PromptTarget of(String prompt) {
        String p = prompt.toLowerCase(Locale.ROOT);
        if (word(p, Shapes.NEW_WORD)) return new PromptTarget(prompt, null, null, true);
        ShapeColor color = null;
        int colorAt = Integer.MAX_VALUE;
        for (ShapeColor c : ShapeColor.values()) {
            int at = index(p, c.word());
            if (at >= 0 && at < colorAt) {
                colorAt = at;
                color = c;
            }
        }
        Shape shape = null;
        int shapeAt = Integer.MAX_VALUE;
        for (Shape s : Shape.values()) {
            int at = index(p, s.word());
            if (at >= 0 && at < shapeAt) {
                shapeAt = at;
                shape = s;
            }
        }
        return new PromptTarget(prompt, color, shape, false);
    }

    private static boolean word(String text, String w) {
        return index(text, w) >= 0;
    }

    /** Where {@code w} occurs as a whole word, or -1. */
    private static int index(String text, String w) {
        var m = Pattern.compile("\\b" + Pattern.quote(w) + "\\b").matcher(text);
        return m.find() ? m.start() : -1;
    }
}
