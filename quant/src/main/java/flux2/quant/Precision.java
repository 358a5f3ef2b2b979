package flux2.quant;

import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A model-precision setting as written in a training config ({@code base_model_precision},
 * {@code text_encoder_1_precision}): SimpleTuner's {@code int8-quanto}, {@code int4-quanto}, {@code no_change} and the
 * weight-only fp8 e4m3 names {@code fp8-native}, {@code fp8-quanto} and {@code fp8wo-torchao}, plus plain {@code int8},
 * {@code int4}, {@code fp8} and {@code bf16}.
 */
public enum Precision {
    /** Weights stay as stored in the checkpoint. */
    NO_CHANGE,
    /** Weights are converted to BF16. */
    BF16,
    INT8,
    INT4,
    /** fp8 e4m3fn weights with one scale per output row. */
    FP8;

    /** Every accepted config value. */
    public static final List<String> NAMES = List.of("no_change", "bf16", "int8", "int8-quanto", "int4", "int4-quanto", "fp8",
            "fp8-native", "fp8-quanto", "fp8wo-torchao");

    public static Precision parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "no_change" -> NO_CHANGE;
            case "bf16" -> BF16;
            case "int8", "int8-quanto" -> INT8;
            case "int4", "int4-quanto" -> INT4;
            // weight-only e4m3 under each of SimpleTuner's names; activations stay in full precision
            case "fp8", "fp8-native", "fp8-quanto", "fp8wo-torchao" -> FP8;
            default -> throw new IllegalArgumentException("unsupported precision '" + value + "'; supported: " + String.join(", ", NAMES));
        };
    }

    /** Whether weights are quantized. */
    public boolean quantized() { return this == INT8 || this == INT4 || this == FP8; }

    /**
     * The quantization scheme (int8 and int4 with column scales, int4 in symmetric groups of 128, fp8 with row scales);
     * null when not quantized.
     */
    public QuantScheme scheme() {
        return switch (this) {
            case INT8 -> QuantScheme.INT8;
            case INT4 -> QuantScheme.INT4;
            case FP8 -> QuantScheme.FP8;
            default -> null;
        };
    }

    /**
     * Applies a config value to a loaded model: int8, int4 and fp8 switch the Linear layers {@code which} accepts to
     * quantized weights (see {@link Quantizer#quantize}); no_change and bf16 leave them as loaded (the models keep
     * BF16 checkpoint weights in BF16). Returns the scheme used per quantized layer, empty when none.
     */
    public static Map<String, QuantScheme> apply(String value, Module model, Predicate<String> which, TensorArena arena) {
        return parse(value).applyTo(model, which, arena);
    }

    /** As {@link #apply(String, Module, Predicate, TensorArena)} for this precision. */
    public Map<String, QuantScheme> applyTo(Module model, Predicate<String> which, TensorArena arena) {
        return quantized() ? Quantizer.quantize(model, scheme(), which, arena) : Map.of();
    }
}
