package flux2.model.vae;

import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.UnaryOperator;

/**
 * A map [N, C, H, W] that can produce any band of its rows: a stored tensor, or a step over another map made
 * per band, so that a full-size transformed copy (normalised, upsampled) never exists.
 */
interface Rows {
    /** Shape [N, C, H, W] of the whole (virtual) map. */
    int[] shape();

    /** Rows [from, to) as a tensor [N, C, to - from, W] in the current arena, or a view. */
    Tensor rows(int from, int to);

    /** The whole map in the current arena (or the stored tensor itself). */
    default Tensor all() { return rows(0, shape()[2]); }

    /** The whole map as a new tensor in {@code arena}. */
    default Tensor into(TensorArena arena) { return all().copyTo(arena); }

    /** The rows of x itself. */
    static Rows of(Tensor x) {
        return new Rows() {
            public int[] shape() { return x.shape(); }
            public Tensor rows(int from, int to) { return x.narrow(2, from, to - from); }
            public Tensor all() { return x; }
        };
    }

    /** An elementwise function of src, per band. */
    static Rows mapped(Rows src, UnaryOperator<Tensor> f) {
        return new Rows() {
            public int[] shape() { return src.shape(); }
            public Tensor rows(int from, int to) { return f.apply(src.rows(from, to)); }
        };
    }

    /** Nearest-neighbour x2 upsampling of src, per band of output rows. */
    static Rows upsampled(Rows src) {
        int[] s = src.shape();
        int[] up = {s[0], s[1], 2 * s[2], 2 * s[3]};
        return new Rows() {
            public int[] shape() { return up.clone(); }
            public Tensor rows(int from, int to) {
                int s0 = from / 2, s1 = (to + 1) / 2;
                return Layouts.upsampleNearest(src.rows(s0, s1), 2).narrow(2, from - 2 * s0, to - from);
            }
        };
    }
}
