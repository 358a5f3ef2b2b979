package flux2.quant;

import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.Parameter;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * y = x W^T + b with a frozen quantized W [out, in]; the drop-in for {@link Linear} on a quantized base model.
 * Its state uses Linear's names plus the quantization tensors: {@code weight} (I8 [out, in] or I4 [out, in rounded
 * up to even] values), {@code weight_scale}, {@code weight_zero} (int4 with zero points only),
 * {@code weight_column_scale} (schemes with column scales only) and {@code bias}. Adapters (LoRA) add
 * to y exactly as on Linear and train as usual; the quantized tensors never get gradients.
 */
public class QuantizedLinear extends Module {
    public final int in, out;
    public final QuantScheme scheme;
    public final Parameter weight, weightScale, weightZero, weightColumnScale, bias;
    private Linear.LinearAdapter adapter;

    /** An empty layer (zero values) to be filled by {@link #loadStateDict}. */
    public QuantizedLinear(int in, int out, boolean bias, QuantScheme scheme, TensorArena arena) {
        this(QuantizedWeight.empty(scheme, out, in, arena), bias ? Tensor.allocate(Backends.cpu(), DType.F32, new int[]{out}, arena) : null, arena);
    }

    /** A layer over an existing quantized weight and optional bias [out]. */
    public QuantizedLinear(QuantizedWeight w, Tensor bias, TensorArena arena) {
        this.in = w.inFeatures();
        this.out = w.outFeatures();
        this.scheme = w.scheme();
        this.weight = param("weight", new Parameter(w.data(), false, arena));
        this.weightScale = param("weight_scale", new Parameter(w.scale(), false, arena));
        this.weightZero = w.zero() == null ? null : param("weight_zero", new Parameter(w.zero(), false, arena));
        this.weightColumnScale = w.columnScale() == null ? null : param("weight_column_scale", new Parameter(w.columnScale(), false, arena));
        this.bias = bias == null ? null : param("bias", new Parameter(bias, false, arena));
    }

    /** Quantizes a Linear's weight (its bias is copied to F32); adapters are not carried over. */
    public static QuantizedLinear of(Linear linear, QuantScheme scheme, TensorArena arena) {
        QuantizedWeight w = QuantizedWeight.quantize(linear.weight.value(), scheme, arena);
        Tensor b = null;
        if (linear.bias != null) {
            b = Tensor.allocate(Backends.cpu(), DType.F32, new int[]{linear.out}, arena);
            b.copyFrom(linear.bias.value());
        }
        return new QuantizedLinear(w, b, arena);
    }

    /** The quantized weight over the current parameter values (which loading may have replaced). */
    public QuantizedWeight quantizedWeight() {
        return new QuantizedWeight(scheme, in, weight.value(), weightScale.value(), weightZero == null ? null : weightZero.value(),
                weightColumnScale == null ? null : weightColumnScale.value());
    }

    public void setAdapter(Linear.LinearAdapter a) { adapter = a; }

    public Linear.LinearAdapter adapter() { return adapter; }

    /** The frozen quantized projection alone. */
    public Var base(Var x) {
        Var y = QuantizedMatMul.apply(x, quantizedWeight());
        return bias == null ? y : y.add(bias.var());
    }

    public Var forward(Var x) {
        Var y = base(x);
        return adapter == null ? y : y.add(adapter.apply(x));
    }
}
