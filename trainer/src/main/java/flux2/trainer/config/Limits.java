package flux2.trainer.config;

/**
 * Upper bounds shared by several keys (docs/limits.md lists every key's range). They are far above what a FLUX.2
 * run uses and low enough that no count, size or product of them overflows the code that reads it.
 */
public final class Limits {
    private Limits() {}

    /** Optimizer steps (max_train_steps, warm-up, intervals): 100 million, years of training at the fastest step. */
    public static final long MAX_STEPS = 100_000_000L;

    /** Image edge in pixels (dataset resolution, validation and sample sizes): 8192, 64 megapixels when square. */
    public static final int MAX_EDGE = 8192;

    /** Sampling steps of validation and sample: FLUX.2's schedule has 1000 training timesteps. */
    public static final int MAX_SAMPLING_STEPS = 1000;

    /** LoRA rank: 4096, two thirds of FLUX.2-dev's width of 6144 (a rank above a layer's width adds nothing). */
    public static final int MAX_LORA_RANK = 4096;

    /** Seeds: 0 to 2^32 - 1, the range SimpleTuner's seeding (numpy) accepts. */
    public static final long MAX_SEED = 0xFFFF_FFFFL;
}
