package flux2.autograd;

import flux2.tensor.Tensor;
import java.util.Arrays;

/** Helpers shared by backward rules. */
final class Grads {
    private Grads() {}

    /** Sums g over the axes that broadcasting added or expanded, giving a tensor of {@code shape}. */
    static Tensor sumTo(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int[] axes = new int[gs.length];
        int n = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes[n++] = i;
        }
        Tensor s = n == 0 ? g : g.sumKeepDim(Arrays.copyOf(axes, n));
        return s.reshape(shape);
    }
}
