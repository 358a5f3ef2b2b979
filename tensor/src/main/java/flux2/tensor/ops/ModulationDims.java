package flux2.tensor.ops;

import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of FLUX.2's adaptive LayerNorm, out = (1 + scale) * LayerNorm(x) + shift, over the last
 * axis of x [..., L, D] with shift and scale [..., 1, D] (one modulation row per {@code groupRows} = L rows of
 * x). Built by {@link #of} and passed to {@link flux2.tensor.Backend#modulatedLayerNorm}.
 */
public record ModulationDims(long rows, int width, long groupRows, double eps) {

    /** Checks x (at least [L, D]), shift and scale (x's shape with axis -2 of size 1) and eps (>= 0). */
    public static ModulationDims of(Tensor x, Tensor shift, Tensor scale, double eps) {
        if (x.rank() < 2) throw new IllegalArgumentException("modulatedLayerNorm needs x of shape [..., L, D], got " + Arrays.toString(x.shape()));
        if (!(eps >= 0)) throw new IllegalArgumentException("modulatedLayerNorm: eps must be >= 0, got " + eps);
        Operands.requireUnpacked("modulatedLayerNorm input", x);
        requireModulation("shift", shift, x);
        requireModulation("scale", scale, x);
        int n = x.size(-1);
        return new ModulationDims(x.numel() / Math.max(1, n), n, x.size(-2), eps);
    }

    /** Number of modulation rows (the product of x's axes before the last two). */
    public long groups() { return groupRows == 0 ? 0 : rows / groupRows; }

    /** The shape a shift or scale for x must have: x's with axis -2 of size 1. */
    static int[] modulationShape(Tensor x) {
        int[] s = x.shape();
        s[s.length - 2] = 1;
        return s;
    }

    static void requireModulation(String what, Tensor t, Tensor x) {
        int[] want = modulationShape(x);
        if (t == null) throw new IllegalArgumentException("modulatedLayerNorm " + what + " is required, shape " + Arrays.toString(want));
        if (!Arrays.equals(t.shape(), want))
            throw new IllegalArgumentException("modulatedLayerNorm " + what + " must have shape " + Arrays.toString(want)
                    + " for x " + Arrays.toString(x.shape()) + ", got " + Arrays.toString(t.shape()));
        Operands.requireUnpacked("modulatedLayerNorm " + what, t);
    }
}
