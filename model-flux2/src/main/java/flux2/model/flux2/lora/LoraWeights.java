package flux2.model.flux2.lora;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA weights independent of any model, keyed by official FLUX.2 module name ({@code double_blocks.0.img_attn.qkv}):
 * the fused form a FLUX.2 model trains, whatever layout a file used.
 *
 * @param adapters   adapters by official module name, in file or model order
 * @param dtype      the dtype the weights were stored in (F32, BF16 or F16), the default for re-saving
 * @param dropout    the LoRA dropout recorded with them (0 when unknown); files are written with 0, as inference runs
 * @param init       PEFT's {@code init_lora_weights} ("true", "gaussian", ...)
 * @param metadata   descriptive metadata worth carrying over (modelspec.*, global_step, ...)
 * @param skipped    keys of the file read that could not be applied (text-encoder adapters, modules FLUX.2 lacks),
 *                   with why ({@link LoraReader}); empty for weights not read from a file
 */
public record LoraWeights(Map<String, Adapter> adapters, DType dtype, double dropout, String init, Map<String, String> metadata,
                          List<Skipped> skipped) {
    public LoraWeights {
        adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        skipped = List.copyOf(skipped);
    }

    /** Weights that skipped nothing. */
    public LoraWeights(Map<String, Adapter> adapters, DType dtype, double dropout, String init, Map<String, String> metadata) {
        this(adapters, dtype, dropout, init, metadata, List.of());
    }

    /** A key of a LoRA file that was left out, and why ("a text-encoder adapter", ...). */
    public record Skipped(String key, String why) {}

    /**
     * The one warning about the skipped keys of {@code file} (null when none was skipped): how many, why, and their
     * modules (the first 20 of each reason).
     */
    public String skippedWarning(Object file) {
        if (skipped.isEmpty()) return null;
        Map<String, List<String>> byWhy = new LinkedHashMap<>();
        for (Skipped s : skipped) byWhy.computeIfAbsent(s.why(), k -> new ArrayList<>()).add(s.key());
        List<String> parts = new ArrayList<>();
        byWhy.forEach((why, keys) -> {
            List<String> shown = keys.size() <= 20 ? keys : keys.subList(0, 20);
            parts.add(keys.size() + " " + why + " (" + String.join(", ", shown) + (keys.size() > 20 ? ", and " + (keys.size() - 20) + " more" : "") + ")");
        });
        return "warning: " + file + ": skipped " + skipped.size() + " key" + (skipped.size() == 1 ? "" : "s") + " that cannot be applied to the FLUX.2 transformer, "
                + "loaded the " + adapters.size() + " LoRA module" + (adapters.size() == 1 ? "" : "s") + " besides: " + String.join("; ", parts);
    }

    /** One adapter: output += (alpha / rank) B A x, with A [rank, in] and B [out, rank]. */
    public record Adapter(Tensor a, Tensor b, double alpha) {
        public Adapter {
            if (a.rank() != 2 || b.rank() != 2 || a.size(0) != b.size(1))
                throw new IllegalArgumentException("LoRA A " + java.util.Arrays.toString(a.shape()) + " and B "
                        + java.util.Arrays.toString(b.shape()) + " do not form an adapter");
        }

        public int rank() { return a.size(0); }

        public int in() { return a.size(1); }

        public int out() { return b.size(0); }

        public double scale() { return alpha / rank(); }
    }

    /** The current weights of an attached LoRA (views of its parameters, no copy). */
    public static LoraWeights of(Lora lora) {
        Map<String, Adapter> out = new LinkedHashMap<>();
        double dropout = 0;
        for (var e : lora.layers().entrySet()) {
            LoraLayer l = e.getValue();
            out.put(e.getKey(), new Adapter(l.a.weight.value(), l.b.weight.value(), l.alpha));
            dropout = l.dropout;
        }
        return new LoraWeights(out, DType.F32, dropout, "true", Map.of());
    }

    /** The same weights recorded with PEFT's {@code init_lora_weights} value (e.g. "gaussian" for lora_init_type gaussian). */
    public LoraWeights withInit(String init) { return new LoraWeights(adapters, dtype, dropout, init, metadata, skipped); }

    /** Copies every tensor into {@code arena} as F32 (so that the weights outlive the file they came from). */
    LoraWeights copyTo(TensorArena arena) {
        Map<String, Adapter> out = new LinkedHashMap<>();
        adapters.forEach((k, v) -> out.put(k, new Adapter(f32(v.a, arena), f32(v.b, arena), v.alpha)));
        return new LoraWeights(out, dtype, dropout, init, metadata, skipped);
    }

    static Tensor f32(Tensor t, TensorArena arena) {
        return Tensor.allocate(t.backend(), DType.F32, t.shape(), arena).copyFrom(t);
    }
}
