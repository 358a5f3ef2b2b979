package flux2.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.autograd.optim.AdamW;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuantizedLinearTest {
    /** A LoRA pair on a quantized layer: y = base(x) + up(down(x)). */
    static final class Lora extends Module {
        final Linear down, up;

        Lora(QuantizedLinear base, int rank, long seed, TensorArena arena) {
            down = child("lora_down", new Linear(base.in, rank, false, DType.F32, arena));
            up = child("lora_up", new Linear(rank, base.out, false, DType.F32, arena));
            new Rng(seed).fillNormal(down.weight.value(), 0, 0.1);
            new Rng(seed + 1).fillNormal(up.weight.value(), 0, 0.1);
            base.setAdapter(x -> up.forward(down.forward(x)));
        }
    }

    private static QuantizedLinear quantized(int in, int out, QuantScheme scheme, long seed, TensorArena arena) {
        Linear l = new Linear(in, out, true, DType.BF16, arena);
        l.weight.value().copyFrom(new Rng(seed).normal(0, 1 / Math.sqrt(in), out, in));
        l.bias.value().copyFrom(new Rng(seed + 1).normal(0, 0.1, out));
        return QuantizedLinear.of(l, scheme, arena);
    }

    @Test
    void loraTrainsOnAnInt8BaseAndLossDecreases() {
        try (TensorArena params = TensorArena.open("params")) {
            QuantizedLinear l1 = quantized(64, 96, QuantScheme.INT8, 1, params), l2 = quantized(96, 16, QuantScheme.INT8, 3, params);
            Lora a1 = new Lora(l1, 4, 10, params), a2 = new Lora(l2, 4, 20, params);
            Map<String, flux2.autograd.nn.Parameter> trainable = new LinkedHashMap<>();
            a1.namedParameters().forEach((k, p) -> trainable.put("l1." + k, p));
            a2.namedParameters().forEach((k, p) -> trainable.put("l2." + k, p));
            AdamW opt = new AdamW(trainable, 1e-2, 0.9, 0.999, 1e-8, 0.0, params);
            Tensor x = new Rng(30).normal(0, 1, 12, 64), target = new Rng(31).normal(0, 1, 12, 16);
            List<Double> losses = new ArrayList<>();
            for (int step = 0; step < 6; step++) {
                opt.zeroGrad();
                try (TensorArena s = TensorArena.open("step")) {
                    Var loss = F.mseLoss(l2.forward(l1.forward(Var.constant(x)).gelu()), Var.constant(target));
                    losses.add((double) loss.data().item());
                    loss.backward();
                    opt.step();
                }
                assertNull(l1.weight.grad());
                assertNull(l1.bias.grad());
                assertNotNull(a1.down.weight.grad());
            }
            for (int i = 1; i < losses.size(); i++)
                assertTrue(losses.get(i) < losses.get(i - 1), "loss did not decrease at step " + i + ": " + losses);
        }
    }

    @Test
    void inputGradientsMatchFiniteDifferences() {
        try (TensorArena params = TensorArena.open("params")) {
            for (QuantScheme scheme : List.of(QuantScheme.INT8, QuantScheme.INT8_ROW, QuantScheme.int4(32, true), QuantScheme.INT4)) {
                for (int in : new int[]{64, 60, 100, 33, 1}) {
                    QuantizedLinear l = quantized(in, 40, scheme, 5, params);
                    new Lora(l, 3, 40, params);
                    double err = QuantGradCheck.inputGradientError(x -> l.forward(x).tanh(), new Rng(6).normal(0, 1, 2, 5, in), 1e-2);
                    assertTrue(err < 1e-3, scheme.id() + " with " + in + " inputs: relative error " + err);
                }
            }
        }
    }

    @Test
    void forwardMatchesTheDequantizedLinear() {
        try (TensorArena params = TensorArena.open("params")) {
            QuantizedLinear l = quantized(128, 24, QuantScheme.int4(64, false), 7, params);
            Tensor x = new Rng(8).normal(0, 1, 3, 128);
            Tensor expected = x.matmul(l.quantizedWeight().dequantize().t()).add(l.bias.value());
            QuantizedWeightTest.assertClose(expected, l.forward(Var.constant(x)).data());
        }
    }

    @Test
    void stateDictUsesLinearNamesAndLoadsBack() {
        try (TensorArena params = TensorArena.open("params")) {
            QuantizedLinear src = quantized(64, 8, QuantScheme.int4(32, true), 9, params);
            assertEquals(List.of("weight", "weight_scale", "weight_zero", "bias"), List.copyOf(src.stateDict().keySet()));
            QuantizedLinear dst = new QuantizedLinear(64, 8, true, QuantScheme.int4(32, true), params);
            dst.loadStateDict(src.stateDict(), true, false);
            Tensor x = new Rng(11).normal(0, 1, 2, 64);
            QuantizedWeightTest.assertClose(src.forward(Var.constant(x)).data(), dst.forward(Var.constant(x)).data());
            // Odd input sizes and column scales load back the same way.
            for (QuantScheme scheme : List.of(QuantScheme.int4(32, true), QuantScheme.INT8)) {
                QuantizedLinear odd = quantized(33, 8, scheme, 12, params);
                QuantizedLinear into = new QuantizedLinear(33, 8, true, scheme, params);
                into.loadStateDict(odd.stateDict(), true, false);
                Tensor x33 = new Rng(13).normal(0, 1, 2, 33);
                QuantizedWeightTest.assertClose(odd.forward(Var.constant(x33)).data(), into.forward(Var.constant(x33)).data());
            }
            assertEquals(List.of("weight", "weight_scale", "weight_column_scale", "bias"),
                    List.copyOf(quantized(33, 8, QuantScheme.INT8, 12, params).stateDict().keySet()));
            Map<String, Tensor> bad = new LinkedHashMap<>(src.stateDict());
            bad.remove("weight_zero");
            var e = assertThrows(IllegalArgumentException.class, () -> new QuantizedLinear(64, 8, true, QuantScheme.int4(32, true), params).loadStateDict(bad, true, false));
            assertTrue(e.getMessage().contains("missing keys (1): weight_zero"), e.getMessage());
        }
    }
}
