package flux2.autograd;

import flux2.tensor.Tensor;

/** Broadcasting binary arithmetic: add, sub, mul, div, and the scalar affine map. */
final class Arithmetic {
    private Arithmetic() {}

    static Var add(Var a, Var b) { return Var.result(a.data().add(b.data()), new Add(a, b)); }
    static Var sub(Var a, Var b) { return Var.result(a.data().sub(b.data()), new Sub(a, b)); }
    static Var mul(Var a, Var b) { return Var.result(a.data().mul(b.data()), new Mul(a, b)); }
    static Var div(Var a, Var b) { return Var.result(a.data().div(b.data()), new Div(a, b)); }

    /** x * scale + shift with scalar scale and shift. */
    static Var affine(Var x, double scale, double shift) {
        return Var.result(x.data().mul(scale).add(shift), new Affine(x, scale));
    }

    static final class Add extends Node {
        Add(Var a, Var b) { super(a, b); }
        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[]{needs(0) ? Grads.sumTo(g, inputs[0].shape()) : null,
                                needs(1) ? Grads.sumTo(g, inputs[1].shape()) : null};
        }
    }

    static final class Sub extends Node {
        Sub(Var a, Var b) { super(a, b); }
        @Override protected Tensor[] backward(Tensor g) {
            return new Tensor[]{needs(0) ? Grads.sumTo(g, inputs[0].shape()) : null,
                                needs(1) ? Grads.sumTo(g.neg(), inputs[1].shape()) : null};
        }
    }

    static final class Mul extends Node {
        Mul(Var a, Var b) { super(a, b); }
        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = inputs[0].data(), b = inputs[1].data();
            return new Tensor[]{needs(0) ? Grads.sumTo(g.mul(b), a.shape()) : null,
                                needs(1) ? Grads.sumTo(g.mul(a), b.shape()) : null};
        }
    }

    static final class Div extends Node {
        Div(Var a, Var b) { super(a, b); }
        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = inputs[0].data(), b = inputs[1].data();
            Tensor ga = g.div(b);
            return new Tensor[]{needs(0) ? Grads.sumTo(ga, a.shape()) : null,
                                needs(1) ? Grads.sumTo(ga.mul(a).div(b).neg(), b.shape()) : null};
        }
    }

    static final class Affine extends Node {
        private final double scale;
        Affine(Var x, double scale) { super(x); this.scale = scale; }
        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.mul(scale)}; }
    }
}
