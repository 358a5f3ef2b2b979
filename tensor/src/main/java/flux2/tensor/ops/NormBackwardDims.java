package flux2.tensor.ops;

import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of the backward of a norm over the last axis whose output is xhat * a + c, with xhat the
 * LayerNorm ({@code centered}) or RMSNorm of a row of x, and a and c per-channel rows shared by
 * {@code groupRows} consecutive rows of x: a = weight (or 1 without one) for LayerNorm and RMSNorm, where
 * groupRows = rows; a = 1 + scale and c = shift for the modulated LayerNorm, where groupRows = L
 * ({@code onePlusWeight}). Passed to {@link flux2.tensor.Backend#normBackward}, which writes dx and the
 * gradients of a's and c's rows (sums of dOut * xhat and of dOut over the rows of each group).
 */
public record NormBackwardDims(long rows, int width, long groupRows, double eps, boolean centered, boolean onePlusWeight) {

    /** Backward of {@code NN.layerNorm} (centered) or {@code NN.rmsNorm}: weight [width] or null; dOut has x's shape. */
    public static NormBackwardDims ofRowNorm(String op, Tensor x, Tensor weight, Tensor dOut, double eps, boolean centered) {
        RowNormDims d = RowNormDims.of(op, x, weight, null, eps);
        requireLike(op, x, dOut);
        return new NormBackwardDims(d.rows(), d.width(), d.rows(), eps, centered, false);
    }

    /** Backward of {@code NN.modulatedLayerNorm}: scale [..., 1, D] for x [..., L, D]; dOut has x's shape. */
    public static NormBackwardDims ofModulation(Tensor x, Tensor scale, Tensor dOut, double eps) {
        ModulationDims d = ModulationDims.of(x, scale, scale, eps);
        requireLike("modulatedLayerNorm", x, dOut);
        return new NormBackwardDims(d.rows(), d.width(), d.groupRows(), eps, true, true);
    }

    /** Number of rows of a and c. */
    public long groups() { return groupRows == 0 ? 0 : rows / groupRows; }

    private static void requireLike(String op, Tensor x, Tensor dOut) {
        if (!Arrays.equals(x.shape(), dOut.shape()))
            throw new IllegalArgumentException(op + " backward: dOut must have x's shape " + Arrays.toString(x.shape())
                    + ", got " + Arrays.toString(dOut.shape()));
        Operands.requireUnpacked(op + " dOut", dOut);
    }
}
