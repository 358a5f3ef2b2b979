package flux2.autograd.optim;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Learning-rate schedules as multipliers of the base rate at a given step, with the formulas of diffusers'
 * get_scheduler: constant, constant_with_warmup, linear, cosine (half a cycle by default) and polynomial.
 */
public final class LrSchedule {
    /** The schedules; each is named in lower case as diffusers names it ({@link #configName}). */
    public enum Kind {
        CONSTANT, CONSTANT_WITH_WARMUP, LINEAR, COSINE, COSINE_WITH_RESTARTS, POLYNOMIAL;

        /** The name diffusers and SimpleTuner give this schedule ("constant_with_warmup"). */
        public String configName() { return name().toLowerCase(Locale.ROOT); }
    }

    /** The schedule names accepted by {@link #parse}. */
    public static final String NAMES = Arrays.stream(Kind.values()).map(Kind::configName).collect(Collectors.joining(", "));

    private final Kind kind;
    private final long warmup, total;
    private final double cycles, power, lrEndRatio;

    private LrSchedule(Kind kind, long warmup, long total, double cycles, double power, double lrEndRatio) {
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
    public static LrSchedule of(Kind kind, long warmup, long total, double cycles, double power, double lrEndRatio) {
        return new LrSchedule(kind, warmup, total, cycles, power, lrEndRatio);
    }

    /** As {@link #of(Kind, long, long, double, double, double)} for the schedule's name; an error naming the known ones. */
    public static LrSchedule parse(String name, long warmup, long total, double cycles, double power, double lrEndRatio) {
        return of(kind(name), warmup, total, cycles, power, lrEndRatio);
    }

    public static LrSchedule of(String name, long warmup, long total) {
        Kind k = kind(name);
        return of(k, warmup, total, k == Kind.COSINE_WITH_RESTARTS ? 1 : 0.5, 1, 1e-7);
    }

    private static Kind kind(String name) {
        String k = name.toLowerCase(Locale.ROOT);
        for (Kind c : Kind.values()) if (c.configName().equals(k)) return c;
        throw new IllegalArgumentException("unknown lr_scheduler '" + name + "'; allowed: " + NAMES);
    }

    /** Multiplier of the base learning rate at {@code step} (0-based, the count of updates done so far). */
    public double factor(long step) {
        if (kind != Kind.CONSTANT && step < warmup) return (double) step / Math.max(1, warmup);
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return switch (kind) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1;
            case LINEAR -> Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
            case COSINE -> Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
            case COSINE_WITH_RESTARTS -> progress >= 1 ? 0 : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1.0))));
            case POLYNOMIAL -> {
                if (step > total) yield lrEndRatio;
                double decay = (1 - lrEndRatio) * Math.pow(1 - progress, power) + lrEndRatio;
                yield decay;
            }
        };
    }

    public String name() { return kind.configName(); }
}
