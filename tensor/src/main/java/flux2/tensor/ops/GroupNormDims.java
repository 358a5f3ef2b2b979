package flux2.tensor.ops;

import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of one GroupNorm of x [batch, channels, *spatial]: {@code groups} groups of
 * channels / groups channels, each normalised over its channels and the {@code plane} spatial positions, with a
 * weight and a bias of [channels] or none. Built by {@link #of} and passed to {@link flux2.tensor.Backend#groupNorm}.
 */
public record GroupNormDims(int batch, int channels, int groups, long plane, double eps) {

    /** Checks x (rank 2 or more), that groups divides the channels, weight and bias, and eps (>= 0). */
    public static GroupNormDims of(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        if (x.rank() < 2) throw new IllegalArgumentException("groupNorm needs x [N, C, ...], got " + Arrays.toString(x.shape()));
        int c = x.size(1);
        if (groups <= 0 || c % groups != 0)
            throw new IllegalArgumentException("groupNorm: " + groups + " groups do not divide " + c + " channels of " + Arrays.toString(x.shape()));
        if (!(eps >= 0)) throw new IllegalArgumentException("groupNorm: eps must be >= 0, got " + eps);
        Operands.requireUnpacked("groupNorm input", x);
        RowNormDims.requireVector("groupNorm weight", weight, c);
        RowNormDims.requireVector("groupNorm bias", bias, c);
        long plane = 1;
        for (int i = 2; i < x.rank(); i++) plane *= x.size(i);
        return new GroupNormDims(x.size(0), c, groups, plane, eps);
    }

    /** Channels per group. */
    public int perGroup() { return channels / groups; }

    /** Rows of the normalisation: one per (image, group). */
    public long rows() { return (long) batch * groups; }
}
