package flux2.examples.eval;

import static org.junit.jupiter.api.Assertions.*;

import flux2.examples.shapes.Shape;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTargetTest {
    @Test
    void everyHeldOutPromptNamesItsPair() {
        List<String> prompts = Shapes.heldOutPrompts();
        var pairs = Shapes.pairs();
        for (int i = 0; i < prompts.size(); i++) {
            PromptTarget t = PromptTarget.of(prompts.get(i));
            assertEquals(pairs.get(i).color(), t.color(), prompts.get(i));
            assertEquals(pairs.get(i).shape(), t.shape(), prompts.get(i));
            assertFalse(t.zorblax());
        }
    }

    @Test
    void theNewWordIsTheConceptAndWordsMustBeWhole() {
        assertTrue(PromptTarget.of(Shapes.newWordPrompt()).zorblax());
        PromptTarget t = PromptTarget.of("a reddish squares thing");
        assertNull(t.color());
        assertNull(t.shape());
        assertEquals(new PromptTarget("Blue STAR", ShapeColor.BLUE, Shape.STAR, false), PromptTarget.of("Blue STAR"));
    }

    @Test
    void scoresCountUnrecognisedImagesAsWrong() {
        Verdict right = new Verdict(true, ShapeColor.RED, Shape.CIRCLE, 0.9, false, 0.2);
        Verdict wrongShape = new Verdict(true, ShapeColor.RED, Shape.SQUARE, 0.8, false, 0.2);
        Verdict none = Verdict.rejected(0.9, 0);
        PromptScore s = new PromptScore(PromptTarget.of("a red circle"), List.of(right, wrongShape, none, right));
        assertEquals(4, s.samples());
        assertEquals(3, s.recognised());
        assertEquals(0.75, s.colorAccuracy());
        assertEquals(0.5, s.shapeAccuracy());
        assertEquals(0, s.zorblaxRate());
        assertTrue(Double.isNaN(new PromptScore(PromptTarget.of("a thing"), List.of(right)).colorAccuracy()));
        assertEquals(0.5, Evaluation.mean(List.of(0.25, Double.NaN, 0.75)));
    }
}
