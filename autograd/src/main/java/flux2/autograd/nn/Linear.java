package flux2.autograd.nn;

import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** y = x W^T + b with W [out, in] as in PyTorch; W may be BF16 (never expanded). Adapters such as LoRA add to y. */
public class Linear extends Module {
    public final int in, out;
    public final Parameter weight;
    public final Parameter bias;
    private LinearAdapter adapter;

    public Linear(int in, int out, boolean bias, DType dtype, TensorArena arena) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", arena, dtype, out, in);
        this.bias = bias ? param("bias", arena, DType.F32, out) : null;
    }

    /** Something added to the output (LoRA): y = base(x) + adapter(x). */
    public interface LinearAdapter {
        Var apply(Var x);
    }

    public void setAdapter(LinearAdapter a) { adapter = a; }

    public LinearAdapter adapter() { return adapter; }

    /** The frozen or trainable base projection alone. */
    public Var base(Var x) {
        Var y = x.matmul(weight.var().t());
        return bias == null ? y : y.add(bias.var());
    }

    public Var forward(Var x) {
        Var y = base(x);
        return adapter == null ? y : y.add(adapter.apply(x));
    }
}
