package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointCheckTest {
    private static Map<String, Parameter> params(float... values) {
        Map<String, Parameter> m = new LinkedHashMap<>();
        m.put("a", new Parameter(Tensor.of(values.clone(), values.length), true, TensorArena.current()));
        m.put("b", new Parameter(Tensor.of(new float[]{0.1f, -0.2f}, 2), true, TensorArena.current()));
        return m;
    }

    private static AdamW adam(Map<String, Parameter> p) {
        return new AdamW(p, 1e-3, 0.9, 0.999, 1e-8, 0, TensorArena.current());
    }

    @Test
    void saneWeightsAndLossAreGood() {
        try (var a = TensorArena.open("t")) {
            Map<String, Parameter> p = params(0.5f, -0.7f, 0.3f);
            CheckpointCheck c = CheckpointCheck.start(p.values());
            for (int s = 0; s < 40; s++) c.record(0.3 + 0.25 * Math.sin(s)); // noisy but steady
            p.get("a").value().copyFrom(Tensor.of(new float[]{40f, -3f, 2f}, 3)); // grew, within 1000 x max(1, 0.7)
            CheckpointVerdict v = c.judge(p, adam(p));
            assertTrue(v.good(), v.toString());
            assertEquals("", v.reason());
            assertEquals(40, v.maxAbsWeight(), 1e-6);
        }
    }

    @Test
    void nonFiniteWeightsOrMomentsAreBad() {
        try (var a = TensorArena.open("t")) {
            Map<String, Parameter> p = params(0.5f, Float.NaN, 0.3f);
            CheckpointVerdict v = CheckpointCheck.start(params(0.5f).values()).judge(p, adam(p));
            assertFalse(v.good());
            assertTrue(v.reason().startsWith("weight 'a' is not finite"), v.reason());

            Map<String, Parameter> q = params(0.5f, 0.1f, 0.3f);
            AdamW opt = adam(q);
            opt.importState(Map.of("b.exp_avg", Tensor.of(new float[2], 2), "b.exp_avg_sq", Tensor.of(new float[]{Float.POSITIVE_INFINITY, 0}, 2)), 1);
            CheckpointVerdict w = CheckpointCheck.start(q.values()).judge(q, opt);
            assertFalse(w.good());
            assertTrue(w.reason().startsWith("optimizer moment 'b.exp_avg_sq' is not finite"), w.reason());
        }
    }

    @Test
    void explodedFiniteWeightsAreBad() {
        try (var a = TensorArena.open("t")) {
            Map<String, Parameter> p = params(0.5f, -0.7f, 0.3f);
            CheckpointCheck c = CheckpointCheck.start(p.values());
            c.record(0.4);
            p.get("a").value().copyFrom(Tensor.of(new float[]{0.5f, -3.0e6f, 2e9f}, 3)); // what learning_rate 1e6 does in two steps
            CheckpointVerdict v = c.judge(p, adam(p));
            assertFalse(v.good());
            assertTrue(v.reason().startsWith("the largest |weight| is 2.00e+09, over 1000 x max(1, 0.700 at the start of the run)"), v.reason());
        }
    }

    @Test
    void aLossThatBlewUpAgainstItsHistoryIsBad() {
        try (var a = TensorArena.open("t")) {
            Map<String, Parameter> p = params(0.5f);
            CheckpointCheck c = CheckpointCheck.start(p.values());
            for (int s = 0; s < 30; s++) c.record(0.3);
            assertTrue(c.judge(p, adam(p)).good());
            for (int s = 0; s < 10; s++) c.record(50);
            CheckpointVerdict v = c.judge(p, adam(p));
            assertFalse(v.good());
            assertTrue(v.reason().startsWith("the mean loss of the last 10 steps is 50.00, over 10 x the best running mean 0.3000"), v.reason());
            // the history goes on from a checkpoint exactly
            CheckpointCheck resumed = CheckpointCheck.resume(c.history());
            assertEquals(v, resumed.judge(p, adam(p)));
        }
    }

    @Test
    void theLossCriterionWaitsForEnoughSteps() {
        try (var a = TensorArena.open("t")) {
            Map<String, Parameter> p = params(0.5f);
            CheckpointCheck c = CheckpointCheck.start(p.values());
            c.record(0.01);
            for (int s = 0; s < 8; s++) c.record(1.5);
            assertTrue(c.judge(p, adam(p)).good(), "9 steps are too few to judge the loss by");
        }
    }
}
