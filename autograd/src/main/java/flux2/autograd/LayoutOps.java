package flux2.autograd;

import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Shapes;
import flux2.tensor.Tensor;

/** Concatenation, padding, nearest upsampling, pixel (un)shuffle and gathering along an axis. */
final class LayoutOps {
    private LayoutOps() {}

    static Var concat(int axis, Var... xs) {
        Tensor[] ts = new Tensor[xs.length];
        for (int i = 0; i < xs.length; i++) ts[i] = xs[i].data();
        return Var.result(Layouts.concat(axis, ts), new Concat(axis, xs));
    }

    static Var pad(Var x, double value, int... padding) {
        return Var.result(Layouts.pad(x.data(), value, padding), new Pad(x, padding));
    }

    static Var upsampleNearest(Var x, int factor) {
        return Var.result(Layouts.upsampleNearest(x.data(), factor), new Upsample(x, factor));
    }

    static Var pixelUnshuffle(Var x, int r) { return Var.result(Layouts.pixelUnshuffle(x.data(), r), new Shuffle(x, r, true)); }

    static Var pixelShuffle(Var x, int r) { return Var.result(Layouts.pixelShuffle(x.data(), r), new Shuffle(x, r, false)); }

    static Var indexSelect(Var x, int dim, Tensor index) {
        return Var.result(Layouts.indexSelect(x.data(), dim, index), new IndexSelect(x, dim, index));
    }

    /** The gradient of each input is its slice of the output gradient. */
    static final class Concat extends Node {
        private final int axis;

        Concat(int axis, Var[] xs) {
            super(xs);
            this.axis = axis;
        }

        @Override protected Tensor[] backward(Tensor g) {
            int a = Shapes.axis(axis, g.rank());
            Tensor[] out = new Tensor[inputs.length];
            int start = 0;
            for (int i = 0; i < inputs.length; i++) {
                int len = inputs[i].size(a);
                if (needs(i)) out[i] = g.narrow(a, start, len).contiguous();
                start += len;
            }
            return out;
        }
    }

    /** Padding's gradient crops the padded border away (negative padding = crop, so the same op inverts it). */
    static final class Pad extends Node {
        private final int[] padding;

        Pad(Var x, int[] padding) {
            super(x);
            this.padding = padding.clone();
        }

        @Override protected Tensor[] backward(Tensor g) {
            int[] crop = new int[padding.length];
            for (int i = 0; i < crop.length; i++) crop[i] = -padding[i];
            return new Tensor[]{Layouts.pad(g, 0, crop)};
        }
    }

    /** Each input pixel's gradient is the sum over its factor x factor copies. */
    static final class Upsample extends Node {
        private final int factor;

        Upsample(Var x, int factor) {
            super(x);
            this.factor = factor;
        }

        @Override protected Tensor[] backward(Tensor g) {
            int n = g.size(0), c = g.size(1), h = g.size(2) / factor, w = g.size(3) / factor;
            return new Tensor[]{g.reshape(n, c, h, factor, w, factor).sum(3, 5)};
        }
    }

    /** Pixel (un)shuffle is a permutation: its gradient is the inverse permutation. */
    static final class Shuffle extends Node {
        private final int r;
        private final boolean unshuffle;

        Shuffle(Var x, int r, boolean unshuffle) {
            super(x);
            this.r = r;
            this.unshuffle = unshuffle;
        }

        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[]{unshuffle ? Layouts.pixelShuffle(g, r) : Layouts.pixelUnshuffle(g, r)};
        }
    }

    /** Gathered rows send their gradients back with index_add, so repeated indices accumulate. */
    static final class IndexSelect extends Node {
        private final int dim;
        private Tensor index;

        IndexSelect(Var x, int dim, Tensor index) {
            super(x);
            this.dim = dim;
            this.index = index;
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor dx = g.newEmpty(DType.F32, inputs[0].shape());
            Layouts.indexAdd(dx, dim, index, g);
            return new Tensor[]{dx};
        }

        @Override protected void release() { index = null; }
    }
}
