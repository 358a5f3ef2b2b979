package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Transformer;
import flux2.quant.QuantScheme;
import flux2.quant.Quantizer;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every flux2_forward case with every Linear on int8 and on int4 weights (group 128, or the largest of 64 and 32
 * that divides a layer's input size), against the same model on its BF16 weights: pred_full relative L2 below
 * a regression bound (about 1.5x the measured error, rounded up). Measured pred_full relative L2 against BF16:
 * int8 1.307e-2 (flux2_edit), 1.185e-2 (flux2_t2i); int4 2.011e-1 (flux2_edit), 2.087e-1 (flux2_t2i), with groups
 * of 128 where the input size allows (256), else 64 (64, 192) or 32 (96).
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
            Tensor x = g.t("x"), ids = g.t("x_ids");
            if (g.has("ref_tokens")) {
                x = Layouts.concat(1, x, g.t("ref_tokens"));
                ids = Layouts.concat(1, ids, g.t("ref_ids"));
            }
            Tensor dense = model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance"));
            Map<String, QuantScheme> plan = Quantizer.quantize(model, scheme, name -> true, quant);
            Tensor got = model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance"));
            double err = GoldenCases.relL2(got.contiguous().toFloatArray(), dense.contiguous().toFloatArray());
            double ref = GoldenCases.relL2(got.contiguous().toFloatArray(), g.t("pred_full").toFloatArray());
            Map<String, Integer> schemes = new TreeMap<>();
            plan.values().forEach(s -> schemes.merge(s.id(), 1, Integer::sum));
            System.out.printf("flux2_forward %s %s: pred_full rel L2 %.3e vs BF16 weights (%.3e vs reference), layers %s%n",
                    c.name(), scheme.id(), err, ref, schemes);
            assertTrue(err < bound, scheme.id() + " pred_full relative L2 " + err + " >= " + bound);
        }
    }
}
