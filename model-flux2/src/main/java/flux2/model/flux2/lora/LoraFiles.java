package flux2.model.flux2.lora;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Saving and loading LoRA files for a FLUX.2 model: the calls a training loop or a sampler makes. Layouts are
 * described in {@link LoraWriter} and {@link LoraReader}.
 */
public final class LoraFiles {
    private LoraFiles() {}

    /** The file name diffusers and SimpleTuner use. */
    public static final String FILE_NAME = "pytorch_lora_weights.safetensors";

    /** Writes the current weights of {@code lora} to {@code file} (atomically). */
    public static void save(Path file, Lora lora, LoraWriter.Options options) throws IOException {
        LoraWriter.write(file, LoraWeights.of(lora), options);
    }

    /**
     * Reads {@code file} and attaches its adapters to {@code model} (freezing it), with LoRA dropout {@code dropout}
     * and mask seeds {@code seed + index}, as {@link Lora#attach(Module, List, Lora.Config, flux2.tensor.Rng, TensorArena)}.
     */
    public static Lora load(Path file, Module model, double dropout, long seed, TensorArena arena) throws IOException {
        // the file's F32 copies are only needed until the adapters hold their own
        try (TensorArena fileCopy = TensorArena.create("lora-file")) {
            return attach(model, LoraReader.read(file, fileCopy), dropout, seed, arena);
        }
    }

    /** Attaches adapters holding copies of {@code weights} to {@code model}; problems are reported together. */
    public static Lora attach(Module model, LoraWeights weights, double dropout, long seed, TensorArena arena) {
        Map<String, Linear> linears = LoraTargets.linears(model);
        List<String> absent = new ArrayList<>();
        for (String name : weights.adapters().keySet()) if (!linears.containsKey(name)) absent.add(name);
        if (!absent.isEmpty()) throw new IllegalArgumentException("LoRA adapters for modules the model does not have: " + absent);
        Map<String, LoraLayer> layers = new LinkedHashMap<>();
        int index = 0;
        for (String name : linears.keySet()) {
            LoraWeights.Adapter ad = weights.adapters().get(name);
            if (ad == null) continue;
            LoraLayer l = new LoraLayer(ad.in(), ad.out(), ad.rank(), ad.alpha(), dropout, seed + index++, arena);
            l.a.weight.value().copyFrom(ad.a());
            l.b.weight.value().copyFrom(ad.b());
            layers.put(name, l);
        }
        return Lora.attach(model, layers);
    }

    /**
     * Copies {@code weights} into an existing LoRA (a warm start): the same modules with the same shapes; a
     * different alpha is folded into B so that outputs match the file.
     */
    public static void apply(Lora lora, LoraWeights weights) {
        KeyMatch match = new KeyMatch();
        for (String name : weights.adapters().keySet()) if (!lora.layers().containsKey(name)) match.unexpected(name);
        lora.layers().forEach((name, l) -> {
            LoraWeights.Adapter ad = weights.adapters().get(name);
            if (ad == null) match.missing(name);
            else match.checkShape(name, new int[]{l.rank, l.a.in, l.b.out}, new int[]{ad.rank(), ad.in(), ad.out()});
        });
        match.check("LoRA weights do not fit the LoRA (shapes are rank, in, out)");
        lora.layers().forEach((name, l) -> {
            LoraWeights.Adapter ad = weights.adapters().get(name);
            l.a.weight.value().copyFrom(ad.a());
            if (ad.scale() == l.scale) l.b.weight.value().copyFrom(ad.b());
            else {
                try (TensorArena tmp = TensorArena.open("lora-apply")) {
                    l.b.weight.value().copyFrom(ad.b().mul(ad.scale() / l.scale));
                }
            }
        });
    }
}
