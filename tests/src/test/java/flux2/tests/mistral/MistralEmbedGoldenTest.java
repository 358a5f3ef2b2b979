package flux2.tests.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.mistral.FluxTextEmbedder;
import flux2.model.mistral.MistralCheckpoint;
import flux2.model.mistral.MistralConfig;
import flux2.model.mistral.MistralModel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import flux2.tests.GoldenCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code mistral3_embed} case: each hidden state of the full padded forward and the FLUX.2 prompt embedding
 * (through the embedder, which reuses the prompt-independent pad rows) below 1e-4 relative L2, pad rows included.
 */
class MistralEmbedGoldenTest {
    private static final double TOL = 1e-4;

    @TestFactory
    Stream<DynamicTest> cases() {
        return GoldenCases.of("mistral3_embed").stream()
                .map(c -> DynamicTest.dynamicTest("mistral3_embed " + c.name(), () -> check(c)));
    }

    private static void check(GoldenCases.Case c) throws Exception {
        Path weights = GoldenCases.model(c);
        try (TensorSource io = Checkpoints.open(c.io()); var arena = TensorArena.open("golden-" + c.name())) {
            MistralConfig cfg = MistralConfig.parse(io.metadata().get("config"));
            List<Integer> states = new ArrayList<>();
            while (io.contains("hidden_states." + states.size())) states.add(states.size());
            int[] idx = states.stream().mapToInt(Integer::intValue).toArray();
            Tensor ids = io.tensor("input_ids"), mask = io.tensor("attention_mask");
            List<String> failures = new ArrayList<>();
            try (MistralModel model = MistralCheckpoint.load(weights, cfg, cfg.numLayers(), true)) {
                Tensor[] hs = model.hiddenStates(ids, mask, 0, idx);
                for (int k : idx) compare(c.name() + " hidden_states." + k, hs[k], io.tensor("hidden_states." + k), failures);
            }
            // The FLUX.2 path loads only the layers its output layers need, without the final norm.
            try (MistralModel model = MistralCheckpoint.load(weights, cfg); var embedder = new FluxTextEmbedder(model)) {
                compare(c.name() + " prompt_embeds", embedder.embed(ids, mask), io.tensor("prompt_embeds"), failures);
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
        }
    }

    private static void compare(String what, Tensor got, Tensor want, List<String> failures) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double err = GoldenCases.relL2(got.toFloatArray(), want.toFloatArray());
        System.out.printf("%s: rel L2 %.3e%n", what, err);
        if (!(err < TOL)) failures.add(what + ": rel L2 " + err + " >= " + TOL);
    }
}
