package flux2.autograd;

import flux2.tensor.NN;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;

/** Rotary embedding with constant angles: the backward rotates the gradient by the opposite angle. */
final class RopeOp extends Node {
    private final RopeLayout layout;
    private Tensor cos, sin;

    private RopeOp(Var x, RopeLayout layout, Tensor cos, Tensor sin) {
        super(x);
        this.layout = layout;
        this.cos = cos;
        this.sin = sin;
    }

    static Var apply(RopeLayout layout, Var x, Tensor cos, Tensor sin) {
        return Var.result(NN.rope(layout, x.data(), cos, sin), new RopeOp(x, layout, cos, sin));
    }

    @Override
    protected Tensor[] backward(Tensor g) { return new Tensor[]{NN.rope(layout, g, cos, sin.neg())}; }

    @Override protected void release() { cos = sin = null; }
}
