package flux2.autograd;

import flux2.tensor.NN;
import flux2.tensor.Tensor;

/** conv2d(x, w, bias) with stride and padding; the gradients come from the backend's conv2d backward kernels. */
final class Conv2dOp extends Node {
    private final int[] stride, padding;

    private Conv2dOp(Var x, Var w, Var bias, int[] stride, int[] padding) {
        super(x, w, bias);
        this.stride = stride;
        this.padding = padding;
    }

    static Var apply(Var x, Var w, Var bias, int[] stride, int[] padding) {
        Tensor out = NN.conv2d(x.data(), w.data(), bias == null ? null : bias.data(), stride, padding);
        return Var.result(out, new Conv2dOp(x, w, bias, stride.clone(), padding.clone()));
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor x = inputs[0].data(), w = inputs[1].data();
        Tensor gx = needs(0) ? NN.conv2dBackwardInput(g, w, stride, padding, x.shape()) : null;
        Tensor gw = needs(1) ? NN.conv2dBackwardWeight(x, g, stride, padding, w.shape()) : null;
        Tensor gb = needs(2) ? g.sum(0, 2, 3) : null;
        return new Tensor[]{gx, gw, gb};
    }
}
