package flux2.trainer.train;

import static org.junit.jupiter.api.Assertions.*;

import flux2.tensor.Rng;
import flux2.trainer.config.TrainConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SigmaSamplerTest {
    private static TrainConfig.Flow flow(double scale, double shift, boolean auto, boolean uniform, boolean beta, TrainConfig.GuidanceMode mode) {
        return new TrainConfig.Flow(scale, shift, auto, uniform, beta, 2, 2, mode, 1.0, 1.0, 5.0);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) (q * (s.length - 1))];
    }

    @Test
    void logitNormalWithShiftThreeHasTheShiftedQuantiles() {
        double[] s = new SigmaSampler(flow(1, 3, false, false, false, TrainConfig.GuidanceMode.CONSTANT)).sample(200_000, 4096, new Rng(1));
        // quantiles of shift(sigmoid(z)) for z ~ N(0, 1) and shift 3: 10% -> 0.454, 25% -> 0.604, 50% -> 0.75, 75% -> 0.855, 90% -> 0.915
        double[][] expected = {{0.10, 0.454}, {0.25, 0.604}, {0.50, 0.75}, {0.75, 0.855}, {0.90, 0.915}};
        for (double[] e : expected) assertEquals(e[1], quantile(s, e[0]), 0.005, "quantile " + e[0]);
        for (double x : s) assertTrue(x > 0 && x <= 1);
    }

    @Test
    void autoShiftUsesTheTrueTokenCountOnlyWithoutAStaticShift() {
        SigmaSampler auto = new SigmaSampler(flow(1, 0, true, false, false, TrainConfig.GuidanceMode.CONSTANT));
        assertEquals(Math.exp(1.15), auto.shift(4096), 1e-12);
        assertEquals(Math.exp(0.5), auto.shift(256), 1e-12);
        assertEquals(3.0, new SigmaSampler(flow(1, 3, true, false, false, TrainConfig.GuidanceMode.CONSTANT)).shift(256), "a static shift wins");
        assertEquals(1.0, new SigmaSampler(flow(1, 0, false, false, false, TrainConfig.GuidanceMode.CONSTANT)).shift(4096));
    }

    @Test
    void uniformAndBetaSchedulesBeforeShift() {
        double[] u = new SigmaSampler(flow(1, 0, false, true, false, TrainConfig.GuidanceMode.CONSTANT)).sample(100_000, 1024, new Rng(2));
        assertEquals(0.5, Arrays.stream(u).average().orElseThrow(), 0.01);
        assertEquals(0.25, quantile(u, 0.25), 0.01);
        double[] b = new SigmaSampler(flow(1, 0, false, false, true, TrainConfig.GuidanceMode.CONSTANT)).sample(100_000, 1024, new Rng(3));
        double mean = Arrays.stream(b).average().orElseThrow();
        double var = Arrays.stream(b).map(x -> (x - mean) * (x - mean)).average().orElseThrow();
        assertEquals(0.5, mean, 0.01, "Beta(2, 2) mean");
        assertEquals(0.05, var, 0.003, "Beta(2, 2) variance = ab / ((a+b)^2 (a+b+1))");
    }

    @Test
    void samplesAreReproducibleFromTheRngPosition() {
        SigmaSampler s = new SigmaSampler(flow(1, 0, false, false, true, TrainConfig.GuidanceMode.CONSTANT));
        Rng a = new Rng(9);
        s.sample(4, 256, a);
        long pos = a.calls();
        double[] next = s.sample(4, 256, a);
        Rng b = new Rng(9);
        b.setCalls(pos);
        assertArrayEquals(next, s.sample(4, 256, b));
    }

    @Test
    void guidanceConstantOrRandomRange() {
        assertArrayEquals(new double[]{1, 1, 1}, new SigmaSampler(flow(1, 3, false, false, false, TrainConfig.GuidanceMode.CONSTANT)).guidance(3, new Rng(1)));
        double[] g = new SigmaSampler(flow(1, 3, false, false, false, TrainConfig.GuidanceMode.RANDOM_RANGE)).guidance(10_000, new Rng(1));
        assertTrue(Arrays.stream(g).allMatch(x -> x >= 1 && x <= 5));
        assertEquals(3.0, Arrays.stream(g).average().orElseThrow(), 0.05);
    }
}
