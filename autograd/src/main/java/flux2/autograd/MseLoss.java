package flux2.autograd;

import flux2.tensor.Tensor;

/** Mean squared error over all elements: d/dpred = 2 (pred - target) / n. */
final class MseLoss extends Node {
    private MseLoss(Var pred, Var target) { super(pred, target); }

    static Var apply(Var pred, Var target) {
        Tensor d = pred.data().sub(target.data());
        return Var.result(d.square().mean(), new MseLoss(pred, target));
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor p = inputs[0].data(), t = inputs[1].data();
        Tensor d = p.sub(t).mul(g.reshape(onesLike(p.rank()))).mul(2.0 / p.numel());
        return new Tensor[]{needs(0) ? Grads.sumTo(d, p.shape()) : null, needs(1) ? Grads.sumTo(d.neg(), t.shape()) : null};
    }

    private static int[] onesLike(int rank) {
        int[] s = new int[rank];
        java.util.Arrays.fill(s, 1);
        return s;
    }
}
