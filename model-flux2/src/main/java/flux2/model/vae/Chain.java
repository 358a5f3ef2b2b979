package flux2.model.vae;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs layers one after another, each writing its output into an arena of its own and the previous output's
 * arena closed as soon as the next one exists, so that at most two activations are alive between layers.
 */
final class Chain {
    private Chain() {}

    /** layers applied to x in order; the result is copied into the caller's current arena. */
    static Tensor run(Tensor x, List<UnaryOperator<Tensor>> layers) {
        TensorArena outer = TensorArena.current();
        TensorArena held = null;
        Tensor h = x;
        try {
            for (UnaryOperator<Tensor> layer : layers) {
                TensorArena next = TensorArena.create("vae-activation");
                try (var scope = next.enter()) {
                    h = layer.apply(h);
                } catch (RuntimeException | Error e) {
                    next.close();
                    throw e;
                }
                if (held != null) held.close();
                held = next;
            }
            return held == null ? h : h.copyTo(outer);
        } finally {
            if (held != null) held.close();
        }
    }
}
