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
        Tensor gb = needs(1) ? weightGrad(a, b, g) : null;
        return new Tensor[]{ga, gb};
    }

    /**
     * d/db of a x b. For a 2-D b (a weight) under batched a, the batch sum is folded into one product over
     * all rows; it is computed as (g^T a)^T, so that for the usual b = W.t() the gradient of W comes out
     * contiguous instead of needing a transposing copy.
     */
    private static Tensor weightGrad(Tensor a, Tensor b, Tensor g) {
        if (b.rank() != 2) return Grads.sumTo(a.t().matmul(g), b.shape());
        Tensor rowsA = a.reshape(-1, a.size(-1)), rowsG = g.reshape(-1, g.size(-1));
        return rowsG.t().matmul(rowsA).t();
    }
}
