package flux2.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.Function;

/**
 * Finite-difference gradient check: compares the backward of f against central differences of the scalar
 * loss sum(f(inputs) * R) for a fixed random R, accumulated in double.
 */
final class GradCheck {
    private GradCheck() {}

    static final double TOLERANCE = 1e-3;

    /** Checks every input that requires a gradient; returns the worst relative error. */
    static double check(String what, Function<Var[], Var> f, Tensor... inputs) {
        return check(what, 3e-3, f, inputs);
    }

    static double check(String what, double h, Function<Var[], Var> f, Tensor... inputs) {
        try (TensorArena arena = TensorArena.open("gradcheck")) {
            Var[] vars = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++) vars[i] = Var.leaf(inputs[i].contiguous().copyTo(arena), arena);
            Var out = f.apply(vars);
            Tensor r = new Rng(99).normal(0, 1, out.shape());
            Var loss = out.mul(Var.constant(r)).sum();
            loss.backward();
            double worst = 0;
            for (int i = 0; i < inputs.length; i++) {
                float[] analytic = vars[i].grad().toFloatArray();
                double[] numeric = numeric(f, vars, i, r, h);
                double diff = 0, norm = 0;
                for (int j = 0; j < numeric.length; j++) {
                    diff += (analytic[j] - numeric[j]) * (analytic[j] - numeric[j]);
                    norm += numeric[j] * numeric[j];
                }
                double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-6);
                worst = Math.max(worst, rel);
                final int input = i;
                assertTrue(rel < TOLERANCE, () -> what + ": input " + input + " relative error " + rel);
            }
            return worst;
        }
    }

    private static double[] numeric(Function<Var[], Var> f, Var[] vars, int which, Tensor r, double h) {
        Tensor x = vars[which].data();
        int n = (int) x.numel();
        double[] g = new double[n];
        Tensor flat = x.reshape(-1);
        try (GradMode.Scope ng = GradMode.off()) {
            for (int j = 0; j < n; j++) {
                double orig = flat.get(j);
                flat.set(orig + h, j);
                double plus = dot(f.apply(constants(vars)).data(), r);
                flat.set(orig - h, j);
                double minus = dot(f.apply(constants(vars)).data(), r);
                flat.set(orig, j);
                g[j] = (plus - minus) / (2 * h);
            }
        }
        return g;
    }

    private static Var[] constants(Var[] vars) {
        Var[] c = new Var[vars.length];
        for (int i = 0; i < vars.length; i++) c[i] = Var.constant(vars[i].data());
        return c;
    }

    private static double dot(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) x[i] * y[i];
        return s;
    }
}
