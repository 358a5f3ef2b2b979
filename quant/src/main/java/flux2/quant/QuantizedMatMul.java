package flux2.quant;

import flux2.autograd.Node;
import flux2.autograd.Var;
import flux2.tensor.Tensor;

/** y = x W^T with a frozen quantized W: the backward gives x its gradient dy W and W none. */
final class QuantizedMatMul extends Node {
    private QuantizedWeight weight;

    private QuantizedMatMul(Var x, QuantizedWeight weight) {
        super(x);
        this.weight = weight;
    }

    static Var apply(Var x, QuantizedWeight weight) {
        return Var.result(weight.forward(x.data()), new QuantizedMatMul(x, weight));
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        return new Tensor[]{needs(0) ? weight.backwardInput(g) : null};
    }

    @Override
    protected void release() { weight = null; }
}
