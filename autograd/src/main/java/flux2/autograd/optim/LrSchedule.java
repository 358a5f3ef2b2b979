package flux2.autograd.optim;

import java.util.Locale;

/**
 * Learning-rate schedules as multipliers of the base rate at a given step, with the formulas of diffusers'
 * get_scheduler: constant, constant_with_warmup, linear, cosine (half a cycle by default) and polynomial.
 */
public final class LrSchedule {
    /** The schedule names accepted by {@link #parse}. */
    public static final String NAMES = "constant, constant_with_warmup, linear, cosine, cosine_with_restarts, polynomial";

    private final String kind;
    private final long warmup, total;
    private final double cycles, power, lrEndRatio;

    private LrSchedule(String kind, long warmup, long total, double cycles, double power, double lrEndRatio) {
        this.kind = kind;
        this.warmup = Math.max(0, warmup);
        this.total = total;
        this.cycles = cycles;
        this.power = power;
        this.lrEndRatio = lrEndRatio;
    }

    /**
     * @param cycles  cosine: number of waves (0.5 = decay to zero once); cosine_with_restarts: hard restarts
     * @param power   polynomial power (1 = linear)
     * @param lrEndRatio polynomial: final rate divided by the base rate
     */
    public static LrSchedule parse(String name, long warmup, long total, double cycles, double power, double lrEndRatio) {
        String k = name.toLowerCase(Locale.ROOT);
        if (!java.util.Arrays.asList(NAMES.split(", ")).contains(k))
            throw new IllegalArgumentException("unknown lr_scheduler '" + name + "'; allowed: " + NAMES);
        return new LrSchedule(k, warmup, total, cycles, power, lrEndRatio);
    }

    public static LrSchedule of(String name, long warmup, long total) {
        return parse(name, warmup, total, name.equalsIgnoreCase("cosine_with_restarts") ? 1 : 0.5, 1, 1e-7);
    }

    /** Multiplier of the base learning rate at {@code step} (0-based, the count of updates done so far). */
    public double factor(long step) {
        if (!kind.equals("constant") && step < warmup) return (double) step / Math.max(1, warmup);
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (kind) {
            case "constant", "constant_with_warmup" -> 1;
            case "linear" -> Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
            case "cosine" -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
            case "cosine_with_restarts" -> progress >= 1 ? 0 : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1.0))));
            case "polynomial" -> {
                if (step > total) yield lrEndRatio;
                double decay = (1 - lrEndRatio) * Math.pow(1 - progress, power) + lrEndRatio;
                yield decay;
            }
            default -> throw new IllegalStateException(kind);
        };
    }

    public String name() { return kind; }
}
