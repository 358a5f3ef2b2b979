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
        model.setTrainable(false);
        Map<String, Linear> linears = LoraTargets.linears(model);
        Lora lora = new Lora();
        int index = 0;
        for (String name : LoraTargets.resolve(model, targets)) {
            Linear base = linears.get(name);
            if (base.adapter() != null) throw new IllegalArgumentException("module '" + name + "' already has an adapter");
            LoraLayer l = new LoraLayer(base.in, base.out, cfg.rank(), cfg.alpha(), cfg.dropout(), cfg.seed() + index++, arena);
            l.reset(init);
            base.setAdapter(l);
            lora.layers.put(name, lora.child(name, l));
        }
        return lora;
    }

    public Map<String, LoraLayer> layers() { return java.util.Collections.unmodifiableMap(layers); }

    /** Selects the dropout masks of a training step in every adapter. */
    public void setStep(long step) { layers.values().forEach(l -> l.setStep(step)); }

    public void setTraining(boolean on) { layers.values().forEach(l -> l.setTraining(on)); }
}
