package flux2.quant;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Runs an existing model's Linear layers on quantized weights without changing the model code: each selected
 * Linear gets a {@link QuantizedBase} as its base product. The dense weight parameters stay registered (state
 * dicts do not change) and are neither copied nor released, since they may be views of a mapped checkpoint;
 * adapters (LoRA) keep adding to the output. Quantize after loading the weights.
 */
public final class Quantizer {
    private Quantizer() {}

    /**
     * Quantizes the Linear modules whose dotted names {@code which} accepts into {@code arena} and freezes their
     * weights (a quantized product gives W no gradient). For int4, a layer whose input size the scheme's group
     * does not divide uses the largest supported smaller group that does; where none does (60, 100, 33 inputs),
     * it keeps the scheme's group and its rows end in one shorter group. Returns the scheme used per layer, in
     * model order. Layers that cannot be quantized (already quantized) are reported together, before anything
     * changes.
     */
    public static Map<String, QuantScheme> quantize(Module model, QuantScheme scheme, Predicate<String> which, TensorArena arena) {
        Map<String, QuantScheme> plan = new LinkedHashMap<>();
        Map<String, Linear> chosen = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        linears(model).forEach((name, l) -> {
            if (!which.test(name)) return;
            QuantScheme s = fitting(scheme, l.in);
            if (l.baseProduct() != null) problems.add(name + " already has a replaced base product");
            else {
                plan.put(name, s);
                chosen.put(name, l);
            }
        });
        if (!problems.isEmpty()) throw new IllegalArgumentException("cannot quantize to " + scheme.id() + ":\n  " + String.join("\n  ", problems));
        List<String> nonFinite = new ArrayList<>();
        chosen.forEach((name, l) -> {
            QuantizedWeight q;
            try {
                q = QuantizedWeight.quantize(l.weight.value(), plan.get(name), arena);
            } catch (IllegalArgumentException e) {
                nonFinite.add(name + ".weight " + e.getMessage());
                return;
            }
            l.weight.setTrainable(false);
            l.setBaseProduct(new QuantizedBase(q, l.weight));
        });
        if (!nonFinite.isEmpty()) {
            dequantize(model); // none of the model stays half quantized
            throw new IllegalArgumentException("cannot quantize to " + scheme.id() + ":\n  " + String.join("\n  ", nonFinite));
        }
        return plan;
    }

    /** Puts the dense weights back as the base product of every Linear of the model. */
    public static void dequantize(Module model) {
        linears(model).values().forEach(l -> {
            if (l.baseProduct() instanceof QuantizedBase) l.setBaseProduct(null);
        });
    }

    /**
     * The scheme to use for a layer with {@code in} inputs: int4 takes the largest supported group up to the
     * scheme's that divides {@code in}, else the scheme's own group with a shorter last group.
     */
    static QuantScheme fitting(QuantScheme scheme, int in) {
        if (scheme.format() != QuantFormat.INT4) return scheme;
        for (int g = QuantScheme.GROUP_SIZES.size() - 1; g >= 0; g--) {
            int size = QuantScheme.GROUP_SIZES.get(g);
            if (size <= scheme.groupSize() && in % size == 0) return QuantScheme.int4(size, scheme.zeroPoint(), scheme.columnScales());
        }
        return scheme;
    }

    /** Every Linear of the tree by dotted name, in registration order. */
    public static Map<String, Linear> linears(Module root) {
        return root.modulesOfType(Linear.class);
    }
}
