package flux2.examples.eval;

import java.util.List;

/**
 * The verdicts on the samples of one prompt, and the share that matches its target: colour and shape for a
 * colour/shape prompt, the concept for the new word. An image that is not recognised as a shape counts as wrong.
 */
public record PromptScore(PromptTarget target, List<Verdict> verdicts) {
    public int samples() {
        return verdicts.size();
    }

    public int recognised() {
        return (int) verdicts.stream().filter(Verdict::recognised).count();
    }

    /** Share with the asked colour as the dominant one; NaN when the prompt names no colour. */
    public double colorAccuracy() {
        if (target.color() == null) return Double.NaN;
        return share(verdicts.stream().filter(v -> v.color() == target.color()).count());
    }

    /** Share with the asked shape as the best template match; NaN when the prompt names no shape. */
    public double shapeAccuracy() {
        if (target.shape() == null) return Double.NaN;
        return share(verdicts.stream().filter(v -> v.shape() == target.shape()).count());
    }

    /** Share that shows the zorblax (for any prompt: a base model should not draw it unasked). */
    public double zorblaxRate() {
        return share(verdicts.stream().filter(Verdict::zorblax).count());
    }

    private double share(long n) {
        return verdicts.isEmpty() ? Double.NaN : (double) n / verdicts.size();
    }
}
