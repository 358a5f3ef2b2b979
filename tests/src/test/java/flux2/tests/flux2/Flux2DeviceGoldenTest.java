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
import flux2.tensor.Backend;
import flux2.tensor.BackendProvider;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tests.GoldenCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The first FLUX.2 forward case and the first LoRA training case end to end on every usable non-CPU backend:
 * weights moved to the device once, inputs uploaded, every operation on the device, results read back only
 * to compare. Skips with a message when no such backend exists; has nothing to run when the golden folder holds
 * no case of the kind.
 */
class Flux2DeviceGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Backend> devices() {
        List<Backend> out = new ArrayList<>();
        List<String> why = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            BackendProvider.Probe probe = p.probe();
            if (probe.usable()) out.add(p.open());
            else why.add(probe.name() + ": " + probe.detail());
        }
        Assumptions.assumeFalse(out.isEmpty(), "no usable non-CPU backend " + why);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> forwardOnDevice() {
        return onDevices("flux2_forward", Flux2DeviceGoldenTest::forward);
    }

    @TestFactory
    Stream<DynamicTest> loraTrainingOnDevice() {
        return onDevices("flux2_lora_train", Flux2DeviceGoldenTest::train);
    }

    private interface DeviceCheck {
        void run(GoldenCases.Case c, Backend be) throws Exception;
    }

    /** The first case of a kind on every device; no tests when the folder holds none of that kind. */
    private static Stream<DynamicTest> onDevices(String kind, DeviceCheck check) {
        List<GoldenCases.Case> cases = GoldenCases.of(kind);
        if (cases.isEmpty()) return Stream.empty();
        GoldenCases.Case c = cases.get(0);
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend be : devices()) tests.add(DynamicTest.dynamicTest(c.name() + " on " + be.name(), () -> check.run(c, be)));
        return tests.stream();
    }

    private static void forward(GoldenCases.Case c, Backend be) throws Exception {
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena dev = TensorArena.create("device-weights");
             TensorArena a = TensorArena.open("forward")) {
            Flux2Transformer model = g.model(GoldenCases.model(c));
            model.to(be, dev);
            Tensor x = g.t("x"), ids = g.t("x_ids");
            if (g.has("ref_tokens")) {
                x = Layouts.concat(1, x, g.t("ref_tokens"));
                ids = Layouts.concat(1, ids, g.t("ref_ids"));
            }
            Tensor full = model.forward(x.to(be), ids.to(be), g.t("ctx").to(be), g.t("ctx_ids").to(be),
                    g.t("timesteps").to(be), g.t("guidance").to(be));
            assertEquals(be, full.backend(), "the forward pass stays on " + be.name());
            double e = GoldenCases.relL2(full.toFloatArray(), g.t("pred_full").toFloatArray());
            System.out.printf("flux2_forward on %s: pred_full rel L2 %.3e%n", be.name(), e);
            assertTrue(e < 1e-4, "pred_full relative L2 " + e);
        }
    }

    private static void train(GoldenCases.Case c, Backend be) throws Exception {
        try (Flux2Golden g = new Flux2Golden(c.io()); TensorArena loraArena = TensorArena.create("lora");
             TensorArena dev = TensorArena.create("device-weights"); TensorArena a = TensorArena.open("train")) {
            Flux2Transformer model = g.model(GoldenCases.named(c, "base_model", g.meta("base_model")));
            JsonNode lc = JSON.readTree(g.meta("lora")), oc = JSON.readTree(g.meta("optimizer"));
            List<String> targets = new ArrayList<>();
            lc.get("targets").forEach(t -> targets.add(t.asText()));
            Lora lora = Lora.attach(model, targets, new Lora.Config(lc.get("rank").asInt(), lc.get("alpha").asDouble(), 0, 0), new Rng(0), loraArena);
            Map<String, Parameter> params = lora.namedParameters();
            params.forEach((n, p) -> p.value().copyFrom(g.t("init/" + n)));
            model.to(be, dev);
            lora.to(be, dev);
            params.values().forEach(p -> assertEquals(be, p.value().backend(), "LoRA parameter on the device"));

            Tensor x0 = g.t("x0").to(be), noise = g.t("noise").to(be), t = g.t("t").to(be);
            Tensor xt = FlowMatching.noisy(x0, noise, t), target = FlowMatching.target(x0, noise);
            Tensor ids = g.t("x_ids").to(be), ctx = g.t("ctx").to(be), ctxIds = g.t("ctx_ids").to(be), guidance = g.t("guidance").to(be);
            float[] losses = g.t("losses").toFloatArray();
            JsonNode betas = oc.get("betas");
            AdamW opt = new AdamW(params, oc.get("lr").asDouble(), betas.get(0).asDouble(), betas.get(1).asDouble(),
                    oc.get("eps").asDouble(), oc.get("weight_decay").asDouble(), loraArena);
            for (int step = 0; step < oc.get("steps").asInt(); step++) {
                try (TensorArena s = TensorArena.open("step")) {
                    opt.zeroGrad();
                    Var pred = FlowMatching.predict(model, xt, ids, null, null, ctx, ctxIds, t, guidance);
                    Var loss = flux2.autograd.F.mseLoss(pred, Var.constant(target));
                    assertEquals(be, loss.data().backend(), "the loss is computed on " + be.name());
                    double lossErr = Math.abs(loss.data().item() - losses[step]) / Math.abs(losses[step]);
                    System.out.printf("flux2_lora_train on %s: loss[%d] rel error %.3e%n", be.name(), step, lossErr);
                    assertTrue(lossErr < 1e-4, "loss " + step + " relative error " + lossErr);
                    loss.backward();
                    if (step == 0) {
                        for (var e : params.entrySet()) {
                            double err = GoldenCases.relL2(e.getValue().grad().toFloatArray(), g.t("grad/" + e.getKey()).toFloatArray());
                            assertTrue(err < 1e-3, "gradient of " + e.getKey() + " relative L2 " + err);
                        }
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
            System.out.printf("flux2_lora_train on %s: worst parameter rel L2 after AdamW %.3e%n", be.name(), worst);
        }
    }
}
