package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.Layouts;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;

/**
 * The rotary table of a token sequence: cos and sin [B, 1, L, headDim/2] from 4-axis ids (t, h, w, l), where
 * axis i owns axesDim[i]/2 adjacent channel pairs with frequencies theta^(-2k/axesDim[i]). Angles in double.
 */
public record Rope(Tensor cos, Tensor sin) {

    /** The table for ids [B, L, axes] (any float dtype; positions are integers). */
    public static Rope of(Tensor ids, int[] axesDim, double theta) {
        if (ids.rank() != 3 || ids.size(2) != axesDim.length)
            throw new IllegalArgumentException("ids must be [B, L, " + axesDim.length + "], got " + java.util.Arrays.toString(ids.shape()));
        int b = ids.size(0), l = ids.size(1), n = ids.size(2), half = 0;
        for (int d : axesDim) half += d / 2;
        float[] pos = ids.contiguous().toFloatArray();
        float[] c = new float[b * l * half], s = new float[c.length];
        for (int row = 0; row < b * l; row++) {
            int o = row * half;
            for (int axis = 0; axis < n; axis++) {
                double p = pos[row * n + axis];
                for (int k = 0; k < axesDim[axis] / 2; k++, o++) {
                    double angle = p * Math.pow(theta, -2.0 * k / axesDim[axis]);
                    c[o] = (float) Math.cos(angle);
                    s[o] = (float) Math.sin(angle);
                }
            }
        }
        // The tables are computed on the host and live where the ids do.
        return new Rope(Tensor.of(c, b, 1, l, half).to(ids.backend()), Tensor.of(s, b, 1, l, half).to(ids.backend()));
    }

    /** The table of two sequences one after the other (rows depend only on their own token's ids). */
    public static Rope concat(Rope first, Rope second) {
        return new Rope(Layouts.concat(2, first.cos, second.cos), Layouts.concat(2, first.sin, second.sin));
    }

    /** Rotates the interleaved channel pairs of x [B, H, L, headDim]. */
    public Var apply(Var x) { return F.rope(RopeLayout.INTERLEAVED, x, cos, sin); }
}
