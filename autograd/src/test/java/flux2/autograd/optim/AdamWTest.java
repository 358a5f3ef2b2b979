package flux2.autograd.optim;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdamWTest {
    static final double LR = 1e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-8, WD = 0.01;

    @Test
    void constantGradientMovesByLrPerStep() {
        // With a constant gradient the bias-corrected moments are g and g^2 exactly, so each step is
        // p <- p (1 - lr wd) - lr g / (|g| + eps): a closed form independent of the implementation.
        try (TensorArena a = TensorArena.open("t")) {
            Parameter p = new Parameter(Tensor.of(new float[]{1f, -2f, 0.25f}, 3), true, a);
            AdamW opt = new AdamW(Map.of("p", p), LR, B1, B2, EPS, WD, a);
            float[] g = {0.5f, -3f, 1e-3f};
            double[] expect = {1, -2, 0.25};
            for (int s = 0; s < 3; s++) {
                p.var().setGrad(Tensor.of(g, 3));
                opt.step();
                for (int i = 0; i < 3; i++) expect[i] = expect[i] * (1 - LR * WD) - LR * g[i] / (Math.abs(g[i]) + EPS);
            }
            float[] got = p.value().toFloatArray();
            for (int i = 0; i < 3; i++) assertEquals(expect[i], got[i], 1e-6);
            assertEquals(3, opt.stepCount());
        }
    }

    /** torch.optim.AdamW's single-tensor update, written out in double. */
    static double[] torchAdamW(double[] p, double[][] grads) {
        double[] m = new double[p.length], v = new double[p.length];
        double[] x = p.clone();
        for (int t = 1; t <= grads.length; t++) {
            double[] g = grads[t - 1];
            for (int i = 0; i < x.length; i++) {
                x[i] *= 1 - LR * WD;
                m[i] = B1 * m[i] + (1 - B1) * g[i];
                v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
                double bc1 = 1 - Math.pow(B1, t), bc2 = 1 - Math.pow(B2, t);
                double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + EPS;
                x[i] -= LR / bc1 * m[i] / denom;
            }
        }
        return x;
    }

    @Test
    void matchesTorchFormulaWithVaryingGradients() {
        try (TensorArena a = TensorArena.open("t")) {
            int n = 1000;
            Tensor init = new Rng(1).normal(0, 1, n);
            Parameter p = new Parameter(init.copyTo(a), true, a);
            AdamW opt = new AdamW(Map.of("w", p), LR, B1, B2, EPS, WD, a);
            double[][] grads = new double[4][];
            Rng r = new Rng(2);
            for (int s = 0; s < 4; s++) {
                Tensor g = r.normal(0, s + 1, n);
                float[] gf = g.toFloatArray();
                grads[s] = new double[n];
                for (int i = 0; i < n; i++) grads[s][i] = gf[i];
                p.var().setGrad(g);
                opt.step();
            }
            float[] i0 = init.toFloatArray();
            double[] start = new double[n];
            for (int i = 0; i < n; i++) start[i] = i0[i];
            double[] ref = torchAdamW(start, grads);
            float[] got = p.value().toFloatArray();
            double diff = 0, norm = 0, moved = 0;
            for (int i = 0; i < n; i++) {
                diff += (got[i] - ref[i]) * (got[i] - ref[i]);
                norm += ref[i] * ref[i];
                moved += (ref[i] - start[i]) * (ref[i] - start[i]);
            }
            assertTrue(Math.sqrt(diff) < 1e-3 * Math.sqrt(moved), "update error " + Math.sqrt(diff) + " vs movement " + Math.sqrt(moved));
        }
    }

    @Test
    void exportedStateResumesIdentically() {
        try (TensorArena a = TensorArena.open("t")) {
            Tensor init = new Rng(3).normal(0, 1, 50);
            Parameter p1 = new Parameter(init.copyTo(a), true, a);
            AdamW o1 = new AdamW(Map.of("w", p1), LR, B1, B2, EPS, WD, a);
            Rng r = new Rng(4);
            Tensor g1 = r.normal(0, 1, 50), g2 = r.normal(0, 1, 50);
            p1.var().setGrad(g1);
            o1.step();
            Map<String, Tensor> state = new LinkedHashMap<>();
            o1.exportState().forEach((k, v) -> state.put(k, v.copyTo(a)));
            Tensor afterOne = p1.value().copyTo(a);
            p1.var().setGrad(g2);
            o1.step();

            Parameter p2 = new Parameter(afterOne, true, a);
            AdamW o2 = new AdamW(Map.of("w", p2), LR, B1, B2, EPS, WD, a);
            o2.importState(state, 1);
            p2.var().setGrad(g2);
            o2.step();
            assertArrayEquals(p1.value().toFloatArray(), p2.value().toFloatArray());
        }
    }

    @Test
    void rejectsBadHyperparametersAndNonF32() {
        try (TensorArena a = TensorArena.open("t")) {
            Parameter p = new Parameter(Tensor.zeros(DType.F32, 2), true, a);
            assertThrows(IllegalArgumentException.class, () -> new AdamW(Map.of("p", p), -1, B1, B2, EPS, WD, a));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(Map.of("p", p), LR, 1.0, B2, EPS, WD, a));
            Parameter b = new Parameter(Tensor.zeros(DType.BF16, 2), true, a);
            var e = assertThrows(IllegalArgumentException.class, () -> new AdamW(Map.of("b", b), LR, B1, B2, EPS, WD, a));
            assertTrue(e.getMessage().contains("'b'"));
        }
    }
}
