package flux2.quant;

import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.Function;

/**
 * Finite-difference check of an input gradient: the backward of the loss sum(f(x) * R) for a fixed random R
 * against central differences in double (the idea of the autograd module's GradCheck).
 */
final class QuantGradCheck {
    private QuantGradCheck() {}

    /** The relative L2 error of the analytic gradient of x. */
    static double inputGradientError(Function<Var, Var> f, Tensor input, double h) {
        try (TensorArena arena = TensorArena.open("gradcheck")) {
            Var x = Var.leaf(input.contiguous().copyTo(arena), arena);
            Var out = f.apply(x);
            Tensor r = new Rng(99).normal(0, 1, out.shape());
            out.mul(Var.constant(r)).sum().backward();
            float[] analytic = x.grad().toFloatArray();
            Tensor flat = x.data().reshape(-1);
            double diff = 0, norm = 0;
            try (GradMode.Scope ng = GradMode.off()) {
                for (int j = 0; j < analytic.length; j++) {
                    double orig = flat.get(j);
                    flat.set(orig + h, j);
                    double plus = dot(f.apply(Var.constant(x.data())).data(), r);
                    flat.set(orig - h, j);
                    double minus = dot(f.apply(Var.constant(x.data())).data(), r);
                    flat.set(orig, j);
                    double numeric = (plus - minus) / (2 * h);
                    diff += (analytic[j] - numeric) * (analytic[j] - numeric);
                    norm += numeric * numeric;
                }
            }
            return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-6);
        }
    }

    private static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }
}
