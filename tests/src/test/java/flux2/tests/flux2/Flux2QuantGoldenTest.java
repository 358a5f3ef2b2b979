package flux2.tests.flux2;

import flux2.model.flux2.Flux2Transformer;
import flux2.quant.QuantScheme;
import flux2.quant.Quantizer;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every flux2_forward case with every Linear on int8 and on int4 weights (both with column scales; int4 in groups of
 * 128, or the largest of 64 and 32 that divides a layer's input size, else 128 with a shorter last group), against
 * the same model on its BF16 weights: pred_full relative L2 below a regression bound. When a bound is exceeded,
 * the message names the three layers whose quantization alone moves the output most.
 *
 * <p>Measured pred_full relative L2 against BF16: int8 1.131e-2 (flux2_edit), 1.108e-2 (flux2_t2i), 1.634e-2
 * (golden-sizes/sizes_edit); int4 2.013e-1, 2.004e-1, 3.005e-1. The bounds (int8 2e-2, int4 3.5e-1) were set at
 * about 1.5x the first two cases with one scale per row (int8 1.307e-2, 1.185e-2; int4 2.011e-1, 2.087e-1).
 *
 * <p>Why sizes_edit needed column scales: with one scale per output row it lands at 4.612e-2 for int8 and
 * 9.462e-1 for int4. Quantizing one layer at a time, double_stream_modulation_img.lin alone gives 4.141e-2,
 * guidance_in.in_layer 2.632e-2, time_in.in_layer 1.894e-2. Every Linear of that case has one input column 8x
 * wider than the rest; in 76 % of all rows (73 % of the modulation's, 75 % of txt_in's) the largest weight sits in
 * that column, so the row's scale is set by it and the other inputs are quantized about 3x more coarsely than
 * usual (row max / row RMS 3.5 to 6 instead of 2.6). The same rows with other, Gaussian, weights (w60_t2i: 1.13e-2)
 * do not show it, nor does a deeper or wider model (1.8e-2, 1.5e-2). A scale per input column, applied before the
 * row (or group) scale, gives the wide column its own range: 1.634e-2 and 3.005e-1, under the same bounds; groups
 * of 32 for int8 instead reach only 3.728e-2 (FP64 numpy emulation of the same case).
 */
class Flux2QuantGoldenTest {
    private static final double INT8_BOUND = 2e-2, INT4_BOUND = 3.5e-1;

    @TestFactory
    Stream<DynamicTest> quantizedForwardStaysCloseToBf16() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.of("flux2_forward")) {
            tests.add(DynamicTest.dynamicTest(c.name() + " int8", () -> check(c, QuantScheme.INT8, INT8_BOUND)));
            tests.add(DynamicTest.dynamicTest(c.name() + " int4-g128", () -> check(c, QuantScheme.INT4, INT4_BOUND)));
        }
        return tests.stream();
    }

    private static void check(GoldenCases.Case c, QuantScheme scheme, double bound) throws Exception {
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena quant = TensorArena.create("quant"); TensorArena a = TensorArena.open("forward")) {
            Flux2Transformer model = g.model(GoldenCases.model(c));
            Tensor x = g.has("ref_tokens") ? Layouts.concat(1, g.t("x"), g.t("ref_tokens")) : g.t("x");
            Tensor ids = g.has("ref_tokens") ? Layouts.concat(1, g.t("x_ids"), g.t("ref_ids")) : g.t("x_ids");
            Tensor dense = model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance"));
            Map<String, QuantScheme> plan = Quantizer.quantize(model, scheme, name -> true, quant);
            Tensor got = model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance"));
            double err = GoldenCases.relL2(got.contiguous().toFloatArray(), dense.contiguous().toFloatArray());
            double ref = GoldenCases.relL2(got.contiguous().toFloatArray(), g.t("pred_full").toFloatArray());
            Map<String, Integer> schemes = new TreeMap<>();
            plan.values().forEach(s -> schemes.merge(s.id(), 1, Integer::sum));
            System.out.printf("flux2_forward %s %s: pred_full rel L2 %.3e vs BF16 weights (%.3e vs reference), layers %s%n",
                    c.name(), scheme.id(), err, ref, schemes);
            if (!(err < bound)) {
                Quantizer.dequantize(model);
                throw new AssertionError(scheme.id() + " pred_full relative L2 " + err + " >= " + bound + "; alone, the layers that add most: "
                        + worstLayers(model, scheme, quant, () -> model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance")), dense));
            }
        }
    }

    /** The three layers whose quantization alone moves the output most, with that error: where a failure comes from. */
    private static String worstLayers(Flux2Transformer model, QuantScheme scheme, TensorArena arena, Supplier<Tensor> forward, Tensor dense) {
        Map<Double, String> byError = new TreeMap<>(Comparator.reverseOrder());
        for (String name : Quantizer.linears(model).keySet()) {
            Quantizer.quantize(model, scheme, name::equals, arena);
            byError.put(GoldenCases.relL2(forward.get().contiguous().toFloatArray(), dense.contiguous().toFloatArray()), name);
            Quantizer.dequantize(model);
        }
        return byError.entrySet().stream().limit(3).map(e -> String.format("%s %.3e", e.getValue(), e.getKey())).toList().toString();
    }
}
