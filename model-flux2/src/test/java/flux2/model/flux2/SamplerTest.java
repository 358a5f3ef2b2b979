package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.GradMode;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** Euler sampling with and without classifier-free guidance, against steps written out by hand. */
class SamplerTest {
    private static final Flux2Config TINY = new Flux2Config(8, 12, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 2000, 3.0, true);

    @Test
    void guidedStepIsNegativePlusScaledDifference() {
        try (TensorArena a = TensorArena.create("t"); GradMode.Scope off = GradMode.off()) {
            Flux2Transformer m = randomModel(a);
            Rng rng = new Rng(3);
            int l = 6, lt = 5, ln = 3;
            Tensor x = rng.normal(0, 1, 1, l, 8), ids = TokenIds.image(1, 2, 3);
            Tensor ctx = rng.normal(0, 1, 1, lt, 12), neg = rng.normal(0, 1, 1, ln, 12);
            Tensor ctxIds = TokenIds.text(1, lt), negIds = TokenIds.text(1, ln);
            double[] ts = {1.0, 0.7, 0.2};
            double scale = 3.5, guidance = 4.0;

            // by hand: the first step unguided (fromStep 1), the second v_neg + scale (v - v_neg)
            Tensor g = Tensor.full(DType.F32, guidance, 1);
            Tensor v0 = m.forward(x, ids, ctx, ctxIds, Tensor.full(DType.F32, ts[0], 1), g);
            Tensor x1 = x.add(v0.mul(ts[1] - ts[0]));
            Tensor t1 = Tensor.full(DType.F32, ts[1], 1);
            Tensor vc = m.forward(x1, ids, ctx, ctxIds, t1, g), vn = m.forward(x1, ids, neg, negIds, t1, g);
            Tensor expected = x1.add(vn.add(vc.sub(vn).mul(scale)).mul(ts[2] - ts[1]));

            Tensor got = new Sampler(m).sample(x, ids, ctx, ctxIds, null, null, ts, guidance, new Sampler.Cfg(neg, negIds, scale, 1));
            assertClose(expected.toFloatArray(), got.toFloatArray(), 1e-5);

            Tensor plain = new Sampler(m).sample(x, ids, ctx, ctxIds, null, null, ts, guidance);
            double diff = maxAbsDiff(plain.toFloatArray(), got.toFloatArray());
            assertTrue(diff > 1e-3, "guidance against another prompt changes the sample (max difference " + diff + ")");
            // scale 1 is the prompt alone; the prompt as its own negative is too, at any scale
            assertClose(plain.toFloatArray(), new Sampler(m).sample(x, ids, ctx, ctxIds, null, null, ts, guidance,
                    new Sampler.Cfg(neg, negIds, 1.0, 0)).toFloatArray(), 1e-5);
            assertClose(plain.toFloatArray(), new Sampler(m).sample(x, ids, ctx, ctxIds, null, null, ts, guidance,
                    new Sampler.Cfg(ctx, ctxIds, 5.0, 0)).toFloatArray(), 1e-5);
            // guidance from a step past the last is no guidance
            assertArrayEquals(plain.toFloatArray(), new Sampler(m).sample(x, ids, ctx, ctxIds, null, null, ts, guidance,
                    new Sampler.Cfg(neg, negIds, scale, ts.length)).toFloatArray());
        }
    }

    private static Flux2Transformer randomModel(TensorArena a) {
        Flux2Transformer m = new Flux2Transformer(TINY, DType.F32, a);
        Rng rng = new Rng(7);
        m.namedParameters().values().forEach(p -> rng.fillNormal(p.value(), 0, 0.3));
        return m;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    private static void assertClose(float[] expected, float[] actual, double tol) {
        double d = maxAbsDiff(expected, actual);
        assertTrue(d <= tol, "max difference " + d + " above " + tol);
    }
}
