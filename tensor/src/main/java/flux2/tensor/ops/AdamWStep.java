package flux2.tensor.ops;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The hyperparameters of one AdamW update (torch.optim.AdamW), with the bias corrections of step {@code step}
 * folded in: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * param = param * {@link #decay} - {@link #stepSize} * m / (sqrt(v) / {@link #bc2Sqrt} + eps).
 * Built by {@link #of}, which checks the operands, and passed to {@link flux2.tensor.Backend#adamwStep}.
 */
public record AdamWStep(double lr, double beta1, double beta2, double eps, double weightDecay, long step) {

    /** Checks that param, grad, m and v are contiguous F32 of one shape and that step counts from 1. */
    public static AdamWStep of(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                               double eps, double weightDecay, long step) {
        for (Tensor t : new Tensor[]{param, grad, m, v})
            if (t.dtype() != DType.F32 || !t.isContiguous() || !Arrays.equals(t.shape(), param.shape()))
                throw new IllegalArgumentException("adamwStep: param, grad, m and v must be contiguous F32 of shape "
                        + Arrays.toString(param.shape()) + ", got " + t);
        if (step < 1) throw new IllegalArgumentException("adamwStep: step counts from 1, got " + step);
        return new AdamWStep(lr, beta1, beta2, eps, weightDecay, step);
    }

    /** lr / (1 - beta1^step). */
    public double stepSize() { return lr / (1 - Math.pow(beta1, step)); }

    /** sqrt(1 - beta2^step). */
    public double bc2Sqrt() { return Math.sqrt(1 - Math.pow(beta2, step)); }

    /** The decoupled weight decay factor 1 - lr * weightDecay. */
    public double decay() { return 1 - lr * weightDecay; }
}
