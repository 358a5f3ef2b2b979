package flux2.tests.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.autograd.Var;
import flux2.autograd.nn.Parameter;
import flux2.autograd.optim.AdamW;
import flux2.model.flux2.FlowMatching;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.lora.Lora;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every flux2_lora_train case, with and without gradient checkpointing: x_t and target, step-0 loss and
 * prediction, every LoRA gradient, losses and parameters over the AdamW steps.
 */
class Flux2LoraTrainGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> loraTrainingMatchesReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.of("flux2_lora_train"))
            for (boolean ckpt : new boolean[]{false, true})
                tests.add(DynamicTest.dynamicTest(c.name() + (ckpt ? " checkpointed" : " plain"), () -> check(c, ckpt)));
        return tests.stream();
    }

    private static void check(GoldenCases.Case c, boolean checkpointing) throws Exception {
        String label = c.name() + (checkpointing ? " checkpointed" : " plain");
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena loraArena = TensorArena.create("lora"); TensorArena a = TensorArena.open("train")) {
            Flux2Transformer model = g.model(GoldenCases.named(c, "base_model", g.meta("base_model")));
            model.setGradientCheckpointing(checkpointing);
            JsonNode lc = JSON.readTree(g.meta("lora")), oc = JSON.readTree(g.meta("optimizer"));
            List<String> targets = new ArrayList<>();
            lc.get("targets").forEach(t -> targets.add(t.asText()));
            Lora lora = Lora.attach(model, targets, new Lora.Config(lc.get("rank").asInt(), lc.get("alpha").asDouble(), 0, 0), new Rng(0), loraArena);
            Map<String, Parameter> params = lora.namedParameters();
            List<String> goldenNames = g.io.names().stream().filter(n -> n.startsWith("init/")).map(n -> n.substring(5)).sorted().toList();
            assertEquals(goldenNames, params.keySet().stream().sorted().toList(), "LoRA parameter names");
            params.forEach((n, p) -> p.value().copyFrom(g.t("init/" + n)));

            Tensor x0 = g.t("x0"), noise = g.t("noise"), t = g.t("t");
            Tensor xt = FlowMatching.noisy(x0, noise, t), target = FlowMatching.target(x0, noise);
            assertTrue(GoldenCases.relL2(xt.toFloatArray(), g.t("x_t").toFloatArray()) < 1e-6, "x_t");
            assertTrue(GoldenCases.relL2(target.toFloatArray(), g.t("target").toFloatArray()) < 1e-6, "target");

            float[] losses = g.t("losses").toFloatArray();
            JsonNode betas = oc.get("betas");
            AdamW opt = new AdamW(params, oc.get("lr").asDouble(), betas.get(0).asDouble(), betas.get(1).asDouble(),
                    oc.get("eps").asDouble(), oc.get("weight_decay").asDouble(), loraArena);
            for (int step = 0; step < oc.get("steps").asInt(); step++) {
                try (TensorArena s = TensorArena.open("step")) {
                    opt.zeroGrad();
                    Var pred = FlowMatching.predict(model, xt, g.t("x_ids"), null, null, g.t("ctx"), g.t("ctx_ids"), t, g.t("guidance"));
                    Var loss = flux2.autograd.F.mseLoss(pred, Var.constant(target));
                    double lossErr = Math.abs(loss.data().item() - losses[step]) / Math.abs(losses[step]);
                    System.out.printf("flux2_lora_train %s: loss[%d] %.7f rel error %.3e%n", label, step, loss.data().item(), lossErr);
                    assertTrue(lossErr < 1e-4, "loss " + step + " relative error " + lossErr);
                    if (step == 0) {
                        double e = GoldenCases.relL2(pred.data().contiguous().toFloatArray(), g.t("step0/pred").toFloatArray());
                        System.out.printf("flux2_lora_train %s: step-0 pred rel L2 %.3e%n", label, e);
                        assertTrue(e < 1e-4, "step-0 prediction relative L2 " + e);
                    }
                    loss.backward();
                    if (step == 0) {
                        double worst = 0;
                        for (var e : params.entrySet()) {
                            assertTrue(e.getValue().grad() != null, "no gradient for " + e.getKey());
                            double err = GoldenCases.relL2(e.getValue().grad().toFloatArray(), g.t("grad/" + e.getKey()).toFloatArray());
                            assertTrue(err < 1e-3, "gradient of " + e.getKey() + " relative L2 " + err);
                            worst = Math.max(worst, err);
                        }
                        System.out.printf("flux2_lora_train %s: worst LoRA gradient rel L2 %.3e over %d tensors%n", label, worst, params.size());
                    }
                    opt.step();
                }
            }
            double worst = 0;
            for (var e : params.entrySet()) {
                double err = GoldenCases.relL2(e.getValue().value().toFloatArray(), g.t("final/" + e.getKey()).toFloatArray());
                assertTrue(err < 1e-3, "parameter " + e.getKey() + " after AdamW relative L2 " + err);
                worst = Math.max(worst, err);
            }
            System.out.printf("flux2_lora_train %s: worst parameter rel L2 after AdamW %.3e%n", label, worst);
        }
    }
}
