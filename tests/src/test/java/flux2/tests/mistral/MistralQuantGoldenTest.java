package flux2.tests.mistral;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.mistral.FluxTextEmbedder;
import flux2.model.mistral.MistralCheckpoint;
import flux2.model.mistral.MistralConfig;
import flux2.model.mistral.MistralModel;
import flux2.quant.QuantScheme;
import flux2.quant.Quantizer;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.tests.GoldenCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every mistral3_embed case with every projection on int8 and on int4 weights (both with column scales; int4 in
 * groups of 128, or the largest of 64 and 32 that divides a layer's input size, else 128 with a shorter last group),
 * against the same model on its BF16 weights: the last hidden state of the full forward and the FLUX.2 prompt
 * embedding, relative L2 below a regression bound. The bounds were set at about 1.5x the errors measured on
 * mistral_small with one scale per row (int8 1.570e-2, 1.055e-2; int4 2.968e-1, 2.013e-1). Measured now (hidden
 * state, prompt_embeds): mistral_small int8 1.428e-2, 1.042e-2, int4 2.593e-1, 1.795e-1; golden-sizes/mistral_pad
 * int8 1.162e-2, 8.860e-3, int4 1.883e-1, 1.481e-1.
 */
class MistralQuantGoldenTest {
    private static final double INT8_BOUND = 2.5e-2, INT4_BOUND = 5e-1;

    @TestFactory
    Stream<DynamicTest> quantizedEmbeddingStaysCloseToBf16() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.of("mistral3_embed")) {
            tests.add(DynamicTest.dynamicTest("mistral3_embed " + c.name() + " int8", () -> check(c, QuantScheme.INT8, INT8_BOUND)));
            tests.add(DynamicTest.dynamicTest("mistral3_embed " + c.name() + " int4-g128", () -> check(c, QuantScheme.INT4, INT4_BOUND)));
        }
        return tests.stream();
    }

    private static void check(GoldenCases.Case c, QuantScheme scheme, double bound) throws Exception {
        Path weights = GoldenCases.model(c);
        try (TensorSource io = Checkpoints.open(c.io()); TensorArena quant = TensorArena.create("quant"); var arena = TensorArena.open("golden-" + c.name())) {
            MistralConfig cfg = MistralConfig.parse(io.metadata().get("config"));
            Tensor ids = io.tensor("input_ids"), mask = io.tensor("attention_mask");
            List<String> failures = new ArrayList<>();
            int last = cfg.numLayers();
            try (MistralModel model = MistralCheckpoint.load(weights, cfg, last, true)) {
                Tensor dense = model.hiddenStates(ids, mask, 0, last)[0];
                Map<String, QuantScheme> plan = Quantizer.quantize(model, scheme, name -> true, quant);
                compare(c.name() + " " + scheme.id() + " hidden_states." + last, model.hiddenStates(ids, mask, 0, last)[0], dense, bound, failures);
                Map<String, Integer> schemes = new TreeMap<>();
                plan.values().forEach(s -> schemes.merge(s.id(), 1, Integer::sum));
                System.out.printf("mistral3_embed %s %s: layers %s%n", c.name(), scheme.id(), schemes);
            }
            try (MistralModel model = MistralCheckpoint.load(weights, cfg)) {
                Tensor dense;
                try (var embedder = new FluxTextEmbedder(model)) {
                    dense = embedder.embed(ids, mask);
                }
                Quantizer.quantize(model, scheme, name -> true, quant);
                // A fresh embedder: the cached pad rows must come from the quantized model too.
                try (var embedder = new FluxTextEmbedder(model)) {
                    compare(c.name() + " " + scheme.id() + " prompt_embeds", embedder.embed(ids, mask), dense, bound, failures);
                }
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
        }
    }

    private static void compare(String what, Tensor got, Tensor want, double bound, List<String> failures) {
        double err = GoldenCases.relL2(got.contiguous().toFloatArray(), want.contiguous().toFloatArray());
        System.out.printf("mistral3_embed %s: rel L2 %.3e vs BF16 weights%n", what, err);
        if (!(err < bound)) failures.add(what + ": rel L2 " + err + " >= " + bound);
    }
}
