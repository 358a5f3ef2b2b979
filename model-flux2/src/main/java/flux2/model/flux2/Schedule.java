package flux2.model.flux2;

/**
 * The FLUX.2 sampling schedule: linspace(1, 0, steps + 1) moved by the exponential time shift with the
 * empirical, resolution- and step-dependent mu. t = 1 is noise, the last value is exactly 0.
 */
public final class Schedule {
    private static final double A1 = 8.73809524e-05, B1 = 1.89833333, A2 = 0.00016927, B2 = 0.45666666;

    private Schedule() {}

    /** mu for {@code imageSeqLen} target tokens (references not counted) and {@code steps} steps. */
    public static double empiricalMu(int imageSeqLen, int steps) {
        double m200 = A2 * imageSeqLen + B2;
        if (imageSeqLen > 4300) return m200;
        double m10 = A1 * imageSeqLen + B1;
        double a = (m200 - m10) / 190.0;
        return a * steps + (m200 - 200.0 * a);
    }

    /** e^mu / (e^mu + (1/t - 1)); 0 stays 0. */
    public static double timeShift(double mu, double t) {
        if (t <= 0) return 0;
        return Math.exp(mu) / (Math.exp(mu) + (1 / t - 1));
    }

    /** steps + 1 timesteps from 1 down to 0. */
    public static double[] timesteps(int steps, int imageSeqLen) {
        if (steps <= 0) throw new IllegalArgumentException("steps must be > 0, got " + steps);
        double mu = empiricalMu(imageSeqLen, steps);
        double[] t = new double[steps + 1];
        for (int i = 0; i <= steps; i++) t[i] = timeShift(mu, 1.0 - (double) i / steps);
        return t;
    }
}
