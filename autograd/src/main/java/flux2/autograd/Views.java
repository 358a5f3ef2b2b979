package flux2.autograd;

import flux2.tensor.Tensor;

/** Shape changes without arithmetic: reshape, permute, expand, narrow. */
final class Views {
    private Views() {}

    static Var reshape(Var x, int... shape) { return Var.result(x.data().reshape(shape), new Reshape(x)); }

    static Var permute(Var x, int... perm) { return Var.result(x.data().permute(perm), new Permute(x, perm)); }

    static Var expand(Var x, int... shape) { return Var.result(x.data().expand(shape), new Expand(x)); }

    static Var narrow(Var x, int axis, int start, int length) {
        return Var.result(x.data().narrow(axis, start, length), new Narrow(x, axis, start));
    }

    static Var contiguous(Var x) {
        Tensor c = x.data().contiguous();
        return c == x.data() && !x.requiresGrad() ? x : Var.result(c, new Reshape(x));
    }

    static final class Reshape extends Node {
        Reshape(Var x) { super(x); }
        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.reshape(inputs[0].shape())}; }
    }

    static final class Permute extends Node {
        private final int[] inverse;

        Permute(Var x, int[] perm) {
            super(x);
            inverse = new int[perm.length];
            for (int i = 0; i < perm.length; i++) inverse[perm[i] < 0 ? perm[i] + perm.length : perm[i]] = i;
        }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.permute(inverse)}; }
    }

    static final class Expand extends Node {
        Expand(Var x) { super(x); }
        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{Grads.sumTo(g, inputs[0].shape())}; }
    }

    static final class Narrow extends Node {
        private final int axis, start;

        Narrow(Var x, int axis, int start) {
            super(x);
            this.axis = axis;
            this.start = start;
        }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor full = g.newEmpty(flux2.tensor.DType.F32, inputs[0].shape());
            full.narrow(axis, start, g.size(axis)).copyFrom(g);
            return new Tensor[]{full};
        }
    }
}
