package flux2.autograd.optim;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, step for step as torch.optim.AdamW (bias correction, eps added after
 * the square root of the corrected second moment). State lives in its own arena and can be exported.
 */
public final class AdamW {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

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

    /** One update of every trainable parameter that has a gradient. */
    public void step() {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bc1;
        double decay = 1 - lr * weightDecay;
        for (var e : params.entrySet()) {
            Parameter p = e.getValue();
            Tensor g = p.grad();
            if (g == null || !p.trainable()) continue;
            Tensor gc = g.dtype() == DType.F32 && g.isContiguous() ? g : g.to(DType.F32);
            Tensor[] mv = moments.computeIfAbsent(e.getKey(), k -> new Tensor[]{
                    Tensor.allocate(p.value().backend(), DType.F32, p.value().shape(), stateArena),
                    Tensor.allocate(p.value().backend(), DType.F32, p.value().shape(), stateArena)});
            update(p.value(), gc, mv[0], mv[1], decay, stepSize, bc2Sqrt);
        }
    }

    private void update(Tensor p, Tensor g, Tensor m, Tensor v, double decay, double stepSize, double bc2Sqrt) {
        MemorySegment ps = p.segment(), gs = g.segment(), ms = m.segment(), vs = v.segment();
        long po = p.byteOffset(), go = g.byteOffset(), mo = m.byteOffset(), vo = v.byteOffset();
        float b1 = (float) beta1, b2 = (float) beta2;
        Parallel.forRange(p.numel(), 1 << 14, (w, s, e) -> {
            for (long i = s; i < e; i++) {
                float gi = gs.get(F, go + i * 4);
                float mi = b1 * ms.get(F, mo + i * 4) + (1 - b1) * gi;
                float vi = b2 * vs.get(F, vo + i * 4) + (1 - b2) * gi * gi;
                ms.set(F, mo + i * 4, mi);
                vs.set(F, vo + i * 4, vi);
                float pi = (float) (ps.get(F, po + i * 4) * decay);
                double denom = Math.sqrt(vi) / bc2Sqrt + eps;
                ps.set(F, po + i * 4, (float) (pi - stepSize * mi / denom));
            }
        });
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
            moments.put(e.getKey(), new Tensor[]{m.to(DType.F32).copyTo(stateArena), v.to(DType.F32).copyTo(stateArena)});
        }
        this.step = stepCount;
    }

    /** Parameters in this optimizer. */
    public List<Parameter> parameters() { return List.copyOf(params.values()); }
}
