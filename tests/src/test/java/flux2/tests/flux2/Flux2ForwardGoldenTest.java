package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.flux2.Flux2Transformer;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every flux2_forward case, with the official and with the diffusers weight file: pred and pred_full. */
class Flux2ForwardGoldenTest {
    @TestFactory
    Stream<DynamicTest> forwardMatchesReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.of("flux2_forward")) {
            for (Path w : new Path[]{c.model(), c.diffusers()})
                if (w != null) tests.add(DynamicTest.dynamicTest(w.getFileName().toString().replace(".safetensors", ""), () -> check(c, w)));
            if (c.model() == null && c.diffusers() == null) tests.add(DynamicTest.dynamicTest(c.name(), () -> GoldenCases.model(c)));
        }
        return tests.stream();
    }

    private static void check(GoldenCases.Case c, Path weights) throws Exception {
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena a = TensorArena.open("forward")) {
            Flux2Transformer model = g.model(weights);
            Tensor x = g.t("x"), ids = g.t("x_ids");
            if (g.has("ref_tokens")) {
                x = Layouts.concat(1, x, g.t("ref_tokens"));
                ids = Layouts.concat(1, ids, g.t("ref_ids"));
            }
            Tensor full = model.forward(x, ids, g.t("ctx"), g.t("ctx_ids"), g.t("timesteps"), g.t("guidance"));
            Tensor pred = full.narrow(1, 0, g.t("x").size(1));
            assertArrayEquals(g.t("pred_full").shape(), full.shape(), "pred_full shape");
            double eFull = GoldenCases.relL2(full.contiguous().toFloatArray(), g.t("pred_full").toFloatArray());
            double ePred = GoldenCases.relL2(pred.contiguous().toFloatArray(), g.t("pred").toFloatArray());
            System.out.printf("flux2_forward %s: pred_full rel L2 %.3e, pred rel L2 %.3e%n", weights.getFileName(), eFull, ePred);
            assertTrue(eFull < 1e-4, "pred_full relative L2 " + eFull);
            assertTrue(ePred < 1e-4, "pred relative L2 " + ePred);
        }
    }
}
