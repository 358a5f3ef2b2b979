package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.F;
import flux2.autograd.GradMode;
import flux2.autograd.Var;
import flux2.autograd.nn.Parameter;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.TimestepEmbedding;
import flux2.model.flux2.TokenIds;
import flux2.model.flux2.tread.TokenSelection;
import flux2.model.flux2.tread.TreadConfig;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TREAD routing on a tiny FLUX.2 model: gradients, ratio 0, windows over the double/single boundary, seeds, config errors. */
class TreadRoutingTest {
    // 2 double + 2 single blocks; global indices 0..3, the boundary between 1 and 2
    private static final Flux2Config C = new Flux2Config(4, 6, 16, 2, 2, 2, new int[]{2, 2, 2, 2}, 10000, 2.0, true);
    private static final int B = 2, GH = 2, GW = 3, S = GH * GW, LT = 3;
    private static TensorArena arena;
    private static Flux2Transformer model;
    private static Tensor x, ids, ctx, ctxIds, ts, guidance;

    @BeforeAll
    static void setUp() {
        arena = TensorArena.create("tread-test");
        model = new Flux2Transformer(C, DType.F32, arena);
        Rng rng = new Rng(7);
        // larger weights than an init would use, so every block visibly mixes tokens
        model.namedParameters().forEach((n, p) -> p.value().copyFrom(rng.normal(n.endsWith(".scale") ? 1 : 0, n.endsWith(".scale") ? 0.1 : 0.3, p.value().shape())));
        x = rng.normal(0, 1, B, S, C.inChannels()).copyTo(arena);
        ids = TokenIds.image(B, GH, GW).copyTo(arena);
        ctx = rng.normal(0, 1, B, LT, C.contextInDim()).copyTo(arena);
        ctxIds = TokenIds.text(B, LT).copyTo(arena);
        ts = Tensor.of(new float[]{0.3f, 0.8f}, B).copyTo(arena);
        guidance = Tensor.of(new float[]{2f, 4f}, B).copyTo(arena);
    }

    @AfterAll
    static void tearDown() { arena.close(); }

    private static TreadConfig route(double ratio, int start, int end) {
        return new TreadConfig(List.of(new TreadConfig.Route(ratio, start, end)));
    }

    @Test
    void gradientsOfRoutedAndSkippedTokensMatchFiniteDifferences() {
        TreadConfig cfg = route(0.5, 1, 2); // double block 1 and single block 0: across the boundary
        TreadRouter router = new TreadRouter(cfg, 11);
        TokenSelection sel = new TreadRouter(cfg, 11).select(cfg.resolve(4).get(0), B, S);
        boolean[][] kept = new boolean[B][S];
        for (int b = 0; b < B; b++) for (int t : sel.keptTokens(b)) kept[b][t] = true;
        try (TensorArena a = TensorArena.open("gradcheck")) {
            Var xv = Var.leaf(x.copyTo(a), a), cv = Var.leaf(ctx.copyTo(a), a);
            Tensor r = new Rng(99).normal(0, 1, B, S, C.inChannels());
            router.rng().setCalls(0);
            Var out = model.forward(xv, ids, cv, ctxIds, ts, guidance, router);
            out.mul(Var.constant(r)).sum().backward();
            float[] gx = xv.grad().toFloatArray();
            double[] nx = numeric(xv.data(), () -> { router.rng().setCalls(0); return model.forward(x0(xv), ids, Var.constant(cv.data()), ctxIds, ts, guidance, router).data(); }, r);
            int c = C.inChannels();
            double[] errKept = relErr(gx, nx, i -> kept[i / (S * c)][(i / c) % S]);
            double[] errSkipped = relErr(gx, nx, i -> !kept[i / (S * c)][(i / c) % S]);
            System.out.printf("TREAD gradcheck: routed tokens rel err %.2e (|g| %.2e), skipped tokens %.2e (|g| %.2e)%n",
                    errKept[0], errKept[1], errSkipped[0], errSkipped[1]);
            assertTrue(errKept[1] > 1e-3 && errSkipped[1] > 1e-3, "both kinds of tokens must get a gradient");
            assertTrue(errKept[0] < 1e-3, "routed tokens' gradient relative error " + errKept[0]);
            assertTrue(errSkipped[0] < 1e-3, "skipped tokens' gradient relative error " + errSkipped[0]);
            double[] nc = numeric(cv.data(), () -> { router.rng().setCalls(0); return model.forward(Var.constant(xv.data()), ids, x0(cv), ctxIds, ts, guidance, router).data(); }, r);
            double[] errText = relErr(cv.grad().toFloatArray(), nc, i -> true);
            System.out.printf("TREAD gradcheck: text rel err %.2e%n", errText[0]);
            assertTrue(errText[0] < 1e-3, "text gradient relative error " + errText[0]);
        }
    }

    private static Var x0(Var v) { return Var.constant(v.data()); }

    /** Central differences (in double) of sum(f() * r) over every element of the tensor that f reads. */
    private static double[] numeric(Tensor in, java.util.function.Supplier<Tensor> f, Tensor r) {
        double h = 3e-3; // 1e-2 already shows O(h^2) truncation of ~2e-3 on this deliberately non-linear model
        Tensor flat = in.reshape(-1);
        double[] g = new double[(int) in.numel()];
        try (GradMode.Scope off = GradMode.off()) {
            for (int j = 0; j < g.length; j++) {
                double orig = flat.get(j);
                flat.set(orig + h, j);
                double plus = dot(f.get(), r);
                flat.set(orig - h, j);
                double minus = dot(f.get(), r);
                flat.set(orig, j);
                g[j] = (plus - minus) / (2 * h);
            }
        }
        return g;
    }

    private static double dot(Tensor a, Tensor b) {
        float[] p = a.contiguous().toFloatArray(), q = b.toFloatArray();
        double s = 0;
        for (int i = 0; i < p.length; i++) s += (double) p[i] * q[i];
        return s;
    }

    /** {relative L2 error, L2 norm of the numeric gradient} over the selected elements. */
    private static double[] relErr(float[] analytic, double[] numeric, java.util.function.IntPredicate which) {
        double diff = 0, norm = 0;
        for (int i = 0; i < numeric.length; i++) {
            if (!which.test(i)) continue;
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            norm += numeric[i] * numeric[i];
        }
        return new double[]{Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12), Math.sqrt(norm)};
    }

    @Test
    void ratioZeroStepIsBitwiseTheUnroutedStep() {
        float[][] plain = step(null), routed = step(new TreadRouter(route(0.0, 0, -1), 3));
        for (int i = 0; i < plain.length; i++) assertArrayEquals(plain[i], routed[i], "output/gradient " + i);
    }

    /** The loss, then every parameter gradient, of one forward + backward. */
    private static float[][] step(TreadRouter router) {
        try (TensorArena a = TensorArena.open("step")) {
            Map<String, Parameter> params = model.namedParameters();
            params.values().forEach(Parameter::zeroGrad);
            Var loss = F.mseLoss(model.forward(Var.constant(x), ids, Var.constant(ctx), ctxIds, ts, guidance, router), Var.constant(Tensor.zeros(DType.F32, B, S, C.inChannels())));
            loss.backward();
            float[][] out = new float[params.size() + 1][];
            out[0] = loss.data().toFloatArray();
            int i = 1;
            for (Parameter p : params.values()) out[i++] = p.grad().toFloatArray();
            params.values().forEach(Parameter::zeroGrad);
            return out;
        }
    }

    @Test
    void windowOverAllBlocksKeepsSkippedTokensAndRunsKeptOnesAlone() {
        // window 0..-1 spans the double/single boundary: skipped tokens see no block at all, kept tokens see only each other
        TreadConfig cfg = route(0.5, 0, -1);
        TokenSelection sel = new TreadRouter(cfg, 5).select(cfg.resolve(4).get(0), B, S);
        assertEquals(S - 3, sel.kept());
        try (TensorArena a = TensorArena.open("window"); GradMode.Scope off = GradMode.off()) {
            Tensor routed = model.forward(Var.constant(x), ids, Var.constant(ctx), ctxIds, ts, guidance, new TreadRouter(cfg, 5)).data();
            Var vec = model.timeIn.forward(Var.constant(TimestepEmbedding.of(ts))).add(model.guidanceIn.forward(Var.constant(TimestepEmbedding.of(guidance))));
            Tensor untouched = model.finalLayer.forward(model.imgIn.forward(Var.constant(x)), vec).data();
            for (int b = 0; b < B; b++) {
                int[] k = sel.keptTokens(b);
                Tensor idx = Tensor.ofLongs(Arrays.stream(k).asLongStream().toArray(), k.length);
                Tensor xs = Layouts.indexSelect(x.select(0, b).unsqueeze(0), 1, idx), is = Layouts.indexSelect(ids.select(0, b).unsqueeze(0), 1, idx);
                Tensor alone = model.forward(xs, is, ctx.narrow(0, b, 1), ctxIds.narrow(0, b, 1), ts.narrow(0, b, 1), guidance.narrow(0, b, 1));
                for (int j = 0; j < k.length; j++) {
                    float[] got = routed.select(0, b).select(0, k[j]).contiguous().toFloatArray(), want = alone.select(0, 0).select(0, j).contiguous().toFloatArray();
                    assertTrue(flux2.tests.GoldenCases.relL2(got, want) < 1e-5, "kept token " + k[j] + " of sample " + b);
                }
                for (int t = 0; t < S; t++) {
                    final int tok = t;
                    if (Arrays.stream(k).anyMatch(v -> v == tok)) continue;
                    assertArrayEquals(untouched.select(0, b).select(0, t).contiguous().toFloatArray(), routed.select(0, b).select(0, t).contiguous().toFloatArray(),
                            "skipped token " + t + " of sample " + b);
                }
            }
        }
    }

    @Test
    void checkpointingGivesTheSameRoutedStep() {
        TreadConfig cfg = route(0.5, 1, 2);
        float[][] plain = step(new TreadRouter(cfg, 9));
        model.setGradientCheckpointing(true);
        try {
            float[][] ckpt = step(new TreadRouter(cfg, 9));
            for (int i = 0; i < plain.length; i++)
                assertTrue(flux2.tests.GoldenCases.relL2(ckpt[i], plain[i]) < 1e-6, "output/gradient " + i);
        } finally {
            model.setGradientCheckpointing(false);
        }
    }

    @Test
    void aSeedDeterminesTheSelection() {
        TreadConfig cfg = route(0.5, 1, 2);
        TreadConfig.Window w = cfg.resolve(4).get(0);
        TreadRouter a = new TreadRouter(cfg, 42), b = new TreadRouter(cfg, 42), other = new TreadRouter(cfg, 43);
        boolean differs = false;
        for (int call = 0; call < 4; call++) {
            TokenSelection sa = a.select(w, B, 64), sb = b.select(w, B, 64), so = other.select(w, B, 64);
            for (int s = 0; s < B; s++) {
                assertArrayEquals(sa.keptTokens(s), sb.keptTokens(s));
                differs |= !Arrays.equals(sa.keptTokens(s), so.keptTokens(s));
            }
            // the two samples of a batch draw their own choice
            assertFalse(Arrays.equals(sa.keptTokens(0), sa.keptTokens(1)));
        }
        assertTrue(differs, "another seed chooses other tokens");
        float[][] first = step(new TreadRouter(cfg, 42)), second = step(new TreadRouter(cfg, 42));
        for (int i = 0; i < first.length; i++) assertArrayEquals(first[i], second[i]);
    }

    @Test
    void keptCountFollowsTheRatio() {
        TreadConfig.Window w = new TreadConfig.Window(0.25, 0, 0);
        TreadRouter r = new TreadRouter(route(0.25, 0, 0), 1);
        assertEquals(1024 - 256, r.select(w, 1, 1024).kept());
        assertEquals(null, r.select(new TreadConfig.Window(0.1, 0, 0), 1, 4)); // round(0.4) = 0 routed
        assertNotNull(r.select(new TreadConfig.Window(0.9, 0, 0), 1, 2));
        assertEquals(1, r.select(new TreadConfig.Window(0.9, 0, 0), 1, 2).kept()); // at least one token runs
    }

    @Test
    void badRoutesAreNamed() {
        TreadConfig cfg = new TreadConfig(List.of(new TreadConfig.Route(1.0, 0, 1), new TreadConfig.Route(0.5, 3, 2),
                new TreadConfig.Route(0.5, 0, 9), new TreadConfig.Route(0.2, 1, -2), new TreadConfig.Route(0.2, -1, -1)));
        String m = assertThrows(IllegalArgumentException.class, () -> cfg.resolve(4)).getMessage();
        assertTrue(m.contains("routes[0]: selection_ratio"), m);
        assertTrue(m.contains("routes[1]: start_layer_idx 3 (block 3) comes after end_layer_idx 2"), m);
        assertTrue(m.contains("routes[2]: end_layer_idx 9 is outside"), m);
        assertFalse(m.contains("routes[4]:"), m);
        assertThrows(IllegalArgumentException.class, () -> new TreadConfig(List.of()));
        String overlap = assertThrows(IllegalArgumentException.class,
                () -> new TreadConfig(List.of(new TreadConfig.Route(0.2, 0, 1), new TreadConfig.Route(0.2, -3, -1))).resolve(4)).getMessage();
        assertTrue(overlap.contains("routes[0] (blocks 0..1) overlaps tread_config.routes[1] (blocks 1..3)"), overlap);
        List<TreadConfig.Window> ws = new TreadConfig(List.of(new TreadConfig.Route(0.2, -1, -1), new TreadConfig.Route(0.3, 0, -3))).resolve(4);
        assertEquals(List.of(new TreadConfig.Window(0.3, 0, 1), new TreadConfig.Window(0.2, 3, 3)), ws);
    }
}
