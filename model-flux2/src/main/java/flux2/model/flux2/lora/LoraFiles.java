package flux2.model.flux2.lora;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Saving and loading LoRA files for a FLUX.2 model: the calls a training loop or a sampler makes. Layouts are
 * described in {@link LoraWriter} and {@link LoraReader}.
 */
public final class LoraFiles {
    private LoraFiles() {}

    /** The file name diffusers and SimpleTuner use: {@code load_lora_weights(folder)} finds it without a weight_name. */
    public static final String FILE_NAME = "pytorch_lora_weights.safetensors";

    /**
     * The file for ComfyUI's {@code models/loras/} ({@link LoraWriter.Options#universal}): official names, scale baked,
     * no {@code .alpha}, which diffusers' {@code load_lora_weights} loads fully too.
     */
    public static final String COMFYUI_FILE_NAME = "comfyui_lora.safetensors";

    /** Writes the current weights of {@code lora} to {@code file} (atomically). */
    public static void save(Path file, Lora lora, LoraWriter.Options options) throws IOException {
        LoraWriter.write(file, LoraWeights.of(lora), options);
    }

    /**
     * Writes the pair of files a training run leaves in {@code dir}: {@link #FILE_NAME} as {@code options} say (the
     * configured lora_format) and {@link #COMFYUI_FILE_NAME} in the universal form, same dtype and metadata.
     */
    public static void saveForClients(Path dir, LoraWeights weights, LoraWriter.Options options) throws IOException {
        LoraWriter.write(dir.resolve(FILE_NAME), weights, options);
        LoraWriter.write(dir.resolve(COMFYUI_FILE_NAME), weights, LoraWriter.Options.universal(options.dtype()).withMetadata(options.metadata()));
    }

    /** The module whose diffusers form swaps its row halves, which diffusers' converter of official names does not undo. */
    static final String SWAPPED_MODULE = "final_layer.adaLN_modulation.1";

    /**
     * Which of the files {@link #saveForClients} wrote in {@code dir} goes where, one line each, for adapters on
     * {@code modules}: with one on {@value #SWAPPED_MODULE} a further line says to give diffusers its own file, since
     * diffusers reads that module of the ComfyUI file with its scale and shift halves exchanged.
     */
    public static List<String> whereEachGoes(Path dir, LoraFormat format, Collection<String> modules) {
        String main = switch (format) {
            case DIFFUSERS -> "diffusers (pipe.load_lora_weights): ";
            case COMFYUI -> "ComfyUI, with .alpha tensors (lora_format \"comfyui\"; diffusers refuses .alpha): ";
            case KOHYA -> "musubi-tuner / kohya: ";
        };
        List<String> lines = new ArrayList<>(List.of("LoRA for " + main + dir.resolve(FILE_NAME),
                "LoRA for ComfyUI (copy it into ComfyUI/models/loras/; diffusers loads it fully too): " + dir.resolve(COMFYUI_FILE_NAME)));
        if (modules.contains(SWAPPED_MODULE))
            lines.add("note: the LoRA adapts " + SWAPPED_MODULE + ", which diffusers reads from " + COMFYUI_FILE_NAME
                    + " with its scale and shift halves exchanged: give diffusers " + (format == LoraFormat.DIFFUSERS ? FILE_NAME
                    : "a file written by convert-lora --to diffusers"));
        return lines;
    }

    /**
     * Reads {@code file} and attaches its adapters to {@code model} (freezing it), with LoRA dropout {@code dropout}
     * and mask seeds {@code seed + index}, as {@link Lora#attach(Module, List, Lora.Config, flux2.tensor.Rng, TensorArena)};
     * the warning about keys that could not be applied goes to standard error.
     */
    public static Lora load(Path file, Module model, double dropout, long seed, TensorArena arena) throws IOException {
        return load(file, model, dropout, seed, arena, System.err::println);
    }

    /** As {@link #load(Path, Module, double, long, TensorArena)}, with the warning about skipped keys going to {@code warn}. */
    public static Lora load(Path file, Module model, double dropout, long seed, TensorArena arena, Consumer<String> warn) throws IOException {
        // the file's F32 copies are only needed until the adapters hold their own
        try (TensorArena fileCopy = TensorArena.create("lora-file")) {
            LoraWeights w = LoraReader.read(file, fileCopy);
            if (w.skippedWarning(file) != null) warn.accept(w.skippedWarning(file));
            return attach(model, w, dropout, seed, arena);
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
