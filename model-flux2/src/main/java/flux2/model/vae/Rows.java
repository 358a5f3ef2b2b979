package flux2.model.vae;

import flux2.tensor.Layouts;
import flux2.tensor.Tensor;

/**
 * A convolution input [N, C, H, W] produced a band of rows at a time, so that a full-size transformed copy
 * (normalised, upsampled) never exists.
 */
interface Rows {
    /** Shape [N, C, H, W] of the whole (virtual) input. */
    int[] shape();

    /** Rows [from, to) of the input, as a tensor [N, C, to - from, W] in the current arena or a view. */
    Tensor rows(int from, int to);

    /** The rows of x itself. */
    static Rows of(Tensor x) {
        return new Rows() {
            public int[] shape() { return x.shape(); }
            public Tensor rows(int from, int to) { return x.narrow(2, from, to - from); }
        };
    }

    /** Nearest-neighbour x2 upsampling of x, made per band of rows. */
    static Rows upsampled(Tensor x) {
        int[] s = x.shape();
        int[] up = {s[0], s[1], 2 * s[2], 2 * s[3]};
        return new Rows() {
            public int[] shape() { return up.clone(); }
            public Tensor rows(int from, int to) {
                int s0 = from / 2, s1 = (to + 1) / 2;
                return Layouts.upsampleNearest(x.narrow(2, s0, s1 - s0), 2).narrow(2, from - 2 * s0, to - from);
            }
        };
    }
}
