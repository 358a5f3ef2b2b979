package flux2.tensor.ops;

import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked operands of one rotary embedding of x [..., L, D]: the pairing of channels and the cos and sin
 * tables as views of x's shape with D/2 channels (broadcast over x's leading axes). Built by {@link #of} and
 * passed to {@link flux2.tensor.Backend#rope}.
 *
 * @param cos  cos expanded to [..., L, D/2]
 * @param sin  sin expanded to [..., L, D/2]
 * @param half D/2, the number of channel pairs
 */
public record RopeTable(RopeLayout layout, Tensor cos, Tensor sin, int half) {

    /** Checks x (rank 2 or more, even last axis) and that cos and sin [..., L, D/2] broadcast to it. */
    public static RopeTable of(RopeLayout layout, Tensor x, Tensor cos, Tensor sin) {
        int r = x.rank();
        if (r < 2 || x.size(-1) % 2 != 0)
            throw new IllegalArgumentException("rope needs x [..., L, D] with even D, got " + Arrays.toString(x.shape()));
        Operands.requireUnpacked("rope input", x);
        int half = x.size(-1) / 2;
        int[] shape = x.shape();
        shape[r - 1] = half;
        return new RopeTable(layout, table("cos", cos, x, shape), table("sin", sin, x, shape), half);
    }

    /** cos or sin as a view of x's shape with D/2 channels; a clear error when it does not broadcast. */
    private static Tensor table(String name, Tensor t, Tensor x, int[] shape) {
        int r = shape.length;
        Operands.requireUnpacked("rope " + name, t);
        boolean ok = t.rank() >= 2 && t.rank() <= r && t.size(-1) == shape[r - 1] && t.size(-2) == shape[r - 2];
        for (int i = 0; ok && i < t.rank() - 2; i++) {
            int td = t.shape()[i], xd = shape[r - t.rank() + i];
            ok = td == xd || td == 1;
        }
        if (!ok)
            throw new IllegalArgumentException("rope: " + name + " " + Arrays.toString(t.shape()) + " does not broadcast to "
                    + Arrays.toString(shape) + " for x " + Arrays.toString(x.shape()) + " (expected [..., L, D/2])");
        return t.expand(shape);
    }
}
