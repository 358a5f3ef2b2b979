package flux2.model.flux2.lora;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.Rng;
import flux2.tensor.TensorArena;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA adapters attached to a model's Linear modules, named like the modules they adapt
 * ({@code double_blocks.0.img_attn.qkv.lora_A.weight}). Attaching freezes the base model.
 */
public final class Lora extends Module {
    private final Map<String, LoraLayer> layers = new LinkedHashMap<>();

    /** Settings of one LoRA: rank, alpha (scale alpha / rank), dropout on the adapter input, mask seed. */
    public record Config(int rank, double alpha, double dropout, long seed) {}

    private Lora() {}

    /** Adds adapters to the Linear modules selected by {@code targets} (presets via {@link LoraTargets#preset}). */
    public static Lora attach(Module model, List<String> targets, Config cfg, Rng init, TensorArena arena) {
        Map<String, Linear> linears = LoraTargets.linears(model);
        Map<String, LoraLayer> made = new LinkedHashMap<>();
        int index = 0;
        for (String name : LoraTargets.resolve(model, targets)) {
            Linear base = linears.get(name);
            LoraLayer l = new LoraLayer(base.in, base.out, cfg.rank(), cfg.alpha(), cfg.dropout(), cfg.seed() + index++, arena);
            l.reset(init);
            made.put(name, l);
        }
        return attach(model, made);
    }

    /**
     * Adds ready-made adapters (such as ones read from a file) to the named Linear modules, freezing the base
     * model. Unknown modules, shape mismatches and modules that already have an adapter are reported together.
     */
    public static Lora attach(Module model, Map<String, LoraLayer> adapters) {
        Map<String, Linear> linears = LoraTargets.linears(model);
        List<String> problems = new java.util.ArrayList<>();
        adapters.forEach((name, l) -> {
            Linear base = linears.get(name);
            if (base == null) problems.add("'" + name + "' is not a Linear module of the model");
            else if (base.in != l.a.in || base.out != l.b.out)
                problems.add("'" + name + "' is [" + base.out + ", " + base.in + "] but its adapter is [" + l.b.out + ", " + l.a.in + "]");
            else if (base.adapter() != null) problems.add("'" + name + "' already has an adapter");
        });
        if (!problems.isEmpty()) throw new IllegalArgumentException("cannot attach LoRA adapters:\n  " + String.join("\n  ", problems));
        model.setTrainable(false);
        Lora lora = new Lora();
        adapters.forEach((name, l) -> {
            linears.get(name).setAdapter(l);
            lora.layers.put(name, lora.child(name, l));
        });
        return lora;
    }

    public Map<String, LoraLayer> layers() { return java.util.Collections.unmodifiableMap(layers); }

    /** Selects the dropout masks of a training step in every adapter. */
    public void setStep(long step) { layers.values().forEach(l -> l.setStep(step)); }

    /** The samples of the step's whole batch that this process's forwards hold (null: all of them); see {@link LoraLayer#setBatch}. */
    public void setBatch(flux2.tensor.BatchSlice slice) { layers.values().forEach(l -> l.setBatch(slice)); }

    public void setTraining(boolean on) { layers.values().forEach(l -> l.setTraining(on)); }
}
