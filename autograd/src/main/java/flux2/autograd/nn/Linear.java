package flux2.autograd.nn;

import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Arrays;

/** y = x W^T + b with W [out, in] as in PyTorch; W may be BF16 (never expanded). Adapters such as LoRA add to y. */
public class Linear extends Module {
    public final int in, out;
    public final Parameter weight;
    public final Parameter bias;
    private LinearAdapter adapter;
    private LinearBase product;

    public Linear(int in, int out, boolean bias, DType dtype, TensorArena arena) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", arena, dtype, out, in);
        this.bias = bias ? param("bias", arena, DType.F32, out) : null;
    }

    /** A frozen layer over existing tensors (such as views of a mapped checkpoint): W [out, in], bias [out] or null. */
    public Linear(Tensor weight, Tensor bias) {
        if (weight.rank() != 2 || (bias != null && !Arrays.equals(bias.shape(), new int[]{weight.size(0)})))
            throw new IllegalArgumentException("Linear needs W [out, in] and bias [out], got " + Arrays.toString(weight.shape())
                    + (bias == null ? "" : " and " + Arrays.toString(bias.shape())));
        this.in = weight.size(1);
        this.out = weight.size(0);
        this.weight = param("weight", new Parameter(weight, false, null));
        this.bias = bias == null ? null : param("bias", new Parameter(bias, false, null));
    }

    /** Something added to the output (LoRA): y = base(x) + adapter(x). */
    public interface LinearAdapter {
        Var apply(Var x);
    }

    public void setAdapter(LinearAdapter a) { adapter = a; }

    public LinearAdapter adapter() { return adapter; }

    /** Replaces the product x W^T by another one (a quantized W); null restores the dense weight. */
    public void setBaseProduct(LinearBase p) { product = p; }

    /** The replacement of x W^T, or null when the dense weight is used. */
    public LinearBase baseProduct() { return product; }

    /** The frozen or trainable base projection alone. */
    public Var base(Var x) {
        Var y = product == null ? x.matmul(weight.var().t()) : product.apply(x);
        return bias == null ? y : y.add(bias.var());
    }

    public Var forward(Var x) {
        Var y = base(x);
        return adapter == null ? y : y.add(adapter.apply(x));
    }
}
