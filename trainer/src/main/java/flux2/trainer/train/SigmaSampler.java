package flux2.trainer.train;

import flux2.tensor.BatchSlice;
import flux2.tensor.Rng;
import flux2.trainer.config.TrainConfig;
import java.util.SplittableRandom;

/**
 * SimpleTuner's flow-matching sigma sampler: logit-normal sigmoid(scale * z) by default, or uniform, or
 * Beta(alpha, beta); then the static shift s * sigma / (1 + (s - 1) sigma) with flow_schedule_shift, or, when that is 0
 * and flow_schedule_auto_shift is on, the resolution-dependent shift e^mu with mu interpolated between (256 tokens,
 * 0.5) and (4096 tokens, 1.15) over the true image token count. Also draws the guidance fed to the dev transformer.
 */
public final class SigmaSampler {
    private final TrainConfig.Flow flow;

    public SigmaSampler(TrainConfig.Flow flow) { this.flow = flow; }

    /** {@code n} sigmas in (0, 1] for images of {@code imageTokens} tokens, drawn from {@code rng}. */
    public double[] sample(int n, int imageTokens, Rng rng) {
        return sample(BatchSlice.whole(n), imageTokens, rng);
    }

    /**
     * The sigmas of the samples {@code rows} of a batch: the values {@link #sample(int, int, Rng)} draws for those
     * positions of the whole batch (the rank's share of a data-parallel batch), one draw of {@code rng} either way.
     */
    public double[] sample(BatchSlice rows, int imageTokens, Rng rng) {
        int n = rows.count();
        double[] s = new double[n];
        if (flow.uniformSchedule()) {
            float[] u = rng.uniform(0, 1, rows, n).toFloatArray();
            for (int i = 0; i < n; i++) s[i] = u[i];
        } else if (flow.betaSchedule()) {
            // a Beta draw takes a varying number of scalars: draw the whole batch's in order and keep the slice's
            SplittableRandom r = scalarStream(rng);
            for (int i = 0; i < rows.first() + n; i++) {
                double b = beta(r, flow.betaAlpha(), flow.betaBeta());
                if (i >= rows.first()) s[i - rows.first()] = b;
            }
        } else {
            float[] z = rng.normal(0, 1, rows, n).toFloatArray();
            for (int i = 0; i < n; i++) s[i] = 1 / (1 + Math.exp(-flow.sigmoidScale() * z[i]));
        }
        double shift = shift(imageTokens);
        if (shift > 0 && shift != 1) for (int i = 0; i < n; i++) s[i] = shift * s[i] / (1 + (shift - 1) * s[i]);
        return s;
    }

    /** The shift applied to sigmas for images of {@code imageTokens} tokens (1 = none). */
    public double shift(int imageTokens) {
        if (flow.scheduleShift() > 0) return flow.scheduleShift();
        if (!flow.autoShift()) return 1;
        double mu = 0.5 + (1.15 - 0.5) / (4096 - 256) * (imageTokens - 256);
        return Math.exp(mu);
    }

    /** The guidance values of a batch: flux_guidance_value, or uniform in [min, max] for random-range. */
    public double[] guidance(int n, Rng rng) {
        return guidance(BatchSlice.whole(n), rng);
    }

    /** The guidance values of the samples {@code rows} of a batch, as {@link #sample(BatchSlice, int, Rng)} for sigmas. */
    public double[] guidance(BatchSlice rows, Rng rng) {
        int n = rows.count();
        double[] g = new double[n];
        if (flow.guidanceMode() == TrainConfig.GuidanceMode.RANDOM_RANGE) {
            float[] u = rng.uniform(0, 1, rows, n).toFloatArray();
            for (int i = 0; i < n; i++) g[i] = flow.guidanceMin() + (flow.guidanceMax() - flow.guidanceMin()) * u[i];
        } else java.util.Arrays.fill(g, flow.guidanceValue());
        return g;
    }

    /** A scalar stream seeded by the Rng's next draw, so that the Rng's state still says where the run is. */
    private static SplittableRandom scalarStream(Rng rng) {
        long calls = rng.calls();
        rng.setCalls(calls + 1);
        return new SplittableRandom(rng.seed() * 0x9E3779B97F4A7C15L + calls);
    }

    /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
    static double beta(SplittableRandom r, double a, double b) {
        double x = gamma(r, a), y = gamma(r, b);
        return x / (x + y);
    }

    /** Marsaglia and Tsang's Gamma(shape, 1) sampler; shapes below 1 use the u^(1/shape) boost. */
    static double gamma(SplittableRandom r, double shape) {
        if (shape < 1) return gamma(r, shape + 1) * Math.pow(r.nextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x, v;
            do {
                x = normal(r);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = r.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }

    private static double normal(SplittableRandom r) {
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
