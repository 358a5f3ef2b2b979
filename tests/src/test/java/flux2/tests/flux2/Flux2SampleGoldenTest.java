package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.Sampler;
import flux2.model.flux2.Schedule;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every flux2_sample case: the schedule and the result of the Euler loop on the named base model. */
class Flux2SampleGoldenTest {
    @TestFactory
    Stream<DynamicTest> samplingMatchesReference() {
        return GoldenCases.of("flux2_sample").stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(GoldenCases.Case c) throws Exception {
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena a = TensorArena.open("sample")) {
            JsonNode s = new ObjectMapper().readTree(g.meta("sampling"));
            double[] schedule = Schedule.timesteps(s.get("steps").asInt(), s.get("image_seq_len").asInt());
            float[] want = g.t("timesteps").toFloatArray();
            assertEquals(want.length, schedule.length, "schedule length");
            double worst = 0;
            for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(schedule[i] - want[i]));
            System.out.printf("flux2_sample %s: schedule max abs error %.3e%n", c.name(), worst);
            assertTrue(worst < 1e-6, "schedule max abs error " + worst);

            Flux2Transformer model = g.model(GoldenCases.named(c, "base_model", g.meta("base_model")));
            Tensor refs = g.has("ref_tokens") ? g.t("ref_tokens") : null, refIds = g.has("ref_ids") ? g.t("ref_ids") : null;
            Tensor out = new Sampler(model).sample(g.t("noise"), g.t("x_ids"), g.t("ctx"), g.t("ctx_ids"), refs, refIds,
                    schedule, s.get("guidance").asDouble());
            double e = GoldenCases.relL2(out.toFloatArray(), g.t("final").toFloatArray());
            System.out.printf("flux2_sample %s: final rel L2 %.3e%n", c.name(), e);
            assertTrue(e < 1e-4, "final relative L2 " + e);
        }
    }
}
