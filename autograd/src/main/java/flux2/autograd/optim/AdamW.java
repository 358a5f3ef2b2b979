package flux2.autograd.optim;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Ops;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step as torch.optim.AdamW (bias correction, eps added after
 * the square root of the corrected second moment). State lives in its own arena and can be exported.
 */
public final class AdamW {
    private final Map<String, Parameter> params;
    private final Map<String, Tensor[]> moments = new LinkedHashMap<>();
    private final TensorArena stateArena;
    private double lr;
    private final double beta1, beta2, eps, weightDecay;
    private long step;

    public AdamW(Map<String, Parameter> params, double lr, double beta1, double beta2, double eps, double weightDecay, TensorArena stateArena) {
        if (lr < 0 || eps < 0 || weightDecay < 0 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1)
            throw new IllegalArgumentException("AdamW: need lr >= 0, eps >= 0, weight_decay >= 0 and betas in [0, 1); got lr=" + lr
                    + " betas=(" + beta1 + ", " + beta2 + ") eps=" + eps + " weight_decay=" + weightDecay);
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.stateArena = stateArena;
        for (var e : this.params.entrySet()) {
            Tensor v = e.getValue().value();
            if (v.dtype() != DType.F32 || !v.isContiguous())
                throw new IllegalArgumentException("AdamW trains contiguous F32 parameters; '" + e.getKey() + "' is " + v);
        }
    }

    public double lr() { return lr; }

    public void setLr(double lr) { this.lr = lr; }

    public long stepCount() { return step; }

    /** One update of every trainable parameter that has a gradient, on the parameter's backend. */
    public void step() {
        step++;
        for (var e : params.entrySet()) {
            Parameter p = e.getValue();
            Tensor g = p.grad();
            if (g == null || !p.trainable()) continue;
            Tensor gc = g.dtype() == DType.F32 && g.isContiguous() ? g : g.to(DType.F32);
            Tensor[] mv = moments.computeIfAbsent(e.getKey(), k -> new Tensor[]{
                    Tensor.allocate(p.value().backend(), DType.F32, p.value().shape(), stateArena),
                    Tensor.allocate(p.value().backend(), DType.F32, p.value().shape(), stateArena)});
            Ops.adamwStep(p.value(), gc, mv[0], mv[1], lr, beta1, beta2, eps, weightDecay, step);
        }
    }

    /** Clears the gradients of every parameter. */
    public void zeroGrad() { params.values().forEach(Parameter::zeroGrad); }

    /**
     * The moments by "name.exp_avg" / "name.exp_avg_sq" (live tensors: write or copy them before the next step);
     * the step count is {@link #stepCount()}.
     */
    public Map<String, Tensor> exportState() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        moments.forEach((k, mv) -> {
            out.put(k + ".exp_avg", mv[0]);
            out.put(k + ".exp_avg_sq", mv[1]);
        });
        return out;
    }

    /** Restores moments and step count written by {@link #exportState()}. */
    public void importState(Map<String, Tensor> state, long stepCount) {
        for (var e : params.entrySet()) {
            Tensor m = state.get(e.getKey() + ".exp_avg"), v = state.get(e.getKey() + ".exp_avg_sq");
            if (m == null && v == null) continue;
            if (m == null || v == null)
                throw new IllegalArgumentException("optimizer state for '" + e.getKey() + "' lacks exp_avg or exp_avg_sq");
            int[] shape = e.getValue().value().shape();
            if (!java.util.Arrays.equals(m.shape(), shape) || !java.util.Arrays.equals(v.shape(), shape))
                throw new IllegalArgumentException("optimizer state for '" + e.getKey() + "' has shape " + java.util.Arrays.toString(m.shape()) + ", parameter has " + java.util.Arrays.toString(shape));
            Tensor pv = e.getValue().value();
            moments.put(e.getKey(), new Tensor[]{
                    Tensor.allocate(pv.backend(), DType.F32, shape, stateArena).copyFrom(m),
                    Tensor.allocate(pv.backend(), DType.F32, shape, stateArena).copyFrom(v)});
        }
        this.step = stepCount;
    }

    /** Parameters in this optimizer. */
    public List<Parameter> parameters() { return List.copyOf(params.values()); }
}
