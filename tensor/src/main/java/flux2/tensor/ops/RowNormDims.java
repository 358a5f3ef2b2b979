package flux2.tensor.ops;

import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of one LayerNorm or RMSNorm over the last axis of x: {@code rows} rows of {@code width}
 * elements, with a weight and a bias of [width] or none. Built by {@link #of} and passed to
 * {@link flux2.tensor.Backend#layerNorm} and {@link flux2.tensor.Backend#rmsNorm}.
 */
public record RowNormDims(long rows, int width, double eps) {

    /** Checks x (at least one axis), weight and bias ([width] or null) and eps (>= 0); {@code op} names the norm. */
    public static RowNormDims of(String op, Tensor x, Tensor weight, Tensor bias, double eps) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + " needs at least one axis, got a scalar");
        if (!(eps >= 0)) throw new IllegalArgumentException(op + ": eps must be >= 0, got " + eps);
        Operands.requireUnpacked(op + " input", x);
        int n = x.size(-1);
        requireVector(op + " weight", weight, n);
        requireVector(op + " bias", bias, n);
        return new RowNormDims(x.numel() / Math.max(1, n), n, eps);
    }

    /** A per-channel vector of a norm: null, or a rank-1 tensor of {@code length} elements. */
    static void requireVector(String what, Tensor t, int length) {
        if (t == null) return;
        if (t.rank() != 1 || t.size(0) != length)
            throw new IllegalArgumentException(what + " must have shape [" + length + "], got " + Arrays.toString(t.shape()));
        Operands.requireUnpacked(what, t);
    }
}
