package flux2.autograd;

import flux2.tensor.Tensor;

/** Softmax over the last axis: dx = y (g - sum(g y)). */
final class SoftmaxOp extends Node {
    private Tensor y;

    private SoftmaxOp(Var x, Tensor y) {
        super(x);
        this.y = y;
    }

    static Var apply(Var x) {
        Tensor y = x.data().softmax();
        return Var.result(y, new SoftmaxOp(x, y));
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor dot = g.mul(y).sumKeepDim(-1);
        return new Tensor[]{y.mul(g.sub(dot))};
    }

    @Override protected void release() { y = null; }
}
