package flux2.autograd;

import flux2.tensor.Tensor;

/** Matrix product over the last two axes with broadcast batch axes; b may be a frozen BF16 weight view. */
final class MatMul extends Node {
    private MatMul(Var a, Var b) { super(a, b); }

    static Var apply(Var a, Var b) { return Var.result(a.data().matmul(b.data()), new MatMul(a, b)); }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor a = inputs[0].data(), b = inputs[1].data();
        Tensor ga = needs(0) ? Grads.sumTo(g.matmul(b.t()), a.shape()) : null;
        Tensor gb = needs(1) ? Grads.sumTo(a.t().matmul(g), b.shape()) : null;
        return new Tensor[]{ga, gb};
    }
}
