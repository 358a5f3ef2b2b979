package flux2.quant;

import flux2.autograd.Var;
import flux2.autograd.nn.LinearBase;
import flux2.autograd.nn.Parameter;
import flux2.tensor.Tensor;

/**
 * A Linear's base product x W^T over a quantized copy of its weight. It remembers the dense tensor it was made
 * from, so that loading new weights into the layer afterwards is an error instead of a silently stale product.
 */
public final class QuantizedBase implements LinearBase {
    private final QuantizedWeight weight;
    private final Parameter dense;
    private final Tensor source;

    QuantizedBase(QuantizedWeight weight, Parameter dense) {
        this.weight = weight;
        this.dense = dense;
        this.source = dense.value();
    }

    public QuantizedWeight weight() { return weight; }

    @Override
    public Var apply(Var x) {
        if (dense.value() != source)
            throw new IllegalStateException("the weight of a quantized Linear was replaced after quantization; quantize the model again");
        return QuantizedMatMul.apply(x, weight);
    }
}
