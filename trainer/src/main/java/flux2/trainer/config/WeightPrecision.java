package flux2.trainer.config;

import flux2.quant.Precision;

/**
 * base_model_precision and text_encoder_1_precision as a config file writes them; SimpleTuner's quanto names and the
 * plain ones run as the same {@link Precision} (its weight-only fp8 names as fp8 e4m3 with a scale per output row),
 * and messages repeat the name the file used.
 */
public enum WeightPrecision implements ConfigChoice {
    NO_CHANGE("no_change", Precision.NO_CHANGE),
    INT8_QUANTO("int8-quanto", Precision.INT8),
    INT4_QUANTO("int4-quanto", Precision.INT4),
    INT8("int8", Precision.INT8),
    INT4("int4", Precision.INT4),
    BF16("bf16", Precision.BF16),
    FP8_NATIVE("fp8-native", Precision.FP8),
    FP8_QUANTO("fp8-quanto", Precision.FP8),
    FP8WO_TORCHAO("fp8wo-torchao", Precision.FP8),
    FP8("fp8", Precision.FP8);

    private final String configName;
    private final Precision precision;

    WeightPrecision(String configName, Precision precision) {
        this.configName = configName;
        this.precision = precision;
    }

    @Override
    public String configName() { return configName; }

    /** What this setting does to the weights. */
    public Precision precision() { return precision; }
}
