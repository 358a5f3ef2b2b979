package flux2.trainer.plan;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import flux2.quant.Precision;
import flux2.tensor.ByteSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Makes the {@link MemoryPlan} of a run's settings and, when it does not fit, finds the settings that would. */
public final class MemoryPlanner {
    /** F32 value and gradient of each trained parameter. */
    static final int TRAINED_BYTES = 8;
    /** AdamW's two F32 moments of each trained parameter. */
    static final int ADAMW_BYTES = 8;

    private MemoryPlanner() {}

    /** The plan of {@code s}, with the settings that would make it fit when it does not. */
    public static MemoryPlan plan(PlanSettings s) {
        MemoryPlan p = items(s);
        return p.fits() ? p : new MemoryPlan(s, p.device(), p.host(), fixes(s));
    }

    /** The items of a plan, without looking for fixes. */
    static MemoryPlan items(PlanSettings s) {
        Flux2Config c = s.transformer();
        List<MemoryPlan.Item> device = new ArrayList<>(), host = new ArrayList<>();
        Precision base = s.full() ? Precision.NO_CHANGE : Precision.parse(s.basePrecision());
        long bf16 = WeightBytes.transformer(c, Precision.BF16);
        if (s.full()) {
            long params = linearParams(c);
            device.add(item("transformer weights and gradients, F32 (" + count(params) + " parameters)", params * TRAINED_BYTES, "model_type full"));
            device.add(item("AdamW moments, F32", params * ADAMW_BYTES, ""));
        } else {
            device.add(item("base weights, " + dtype(base) + " (" + count(linearParams(c)) + " parameters; a double block "
                    + ByteSize.format(WeightBytes.doubleBlock(c, base)) + ", a single block " + ByteSize.format(WeightBytes.singleBlock(c, base)) + ")",
                    WeightBytes.transformer(c, base), "base_model_precision " + s.basePrecision()));
            long lora = loraParams(s);
            device.add(item("LoRA weights and gradients, F32 (" + count(lora) + " parameters, rank " + s.rank() + ", " + s.adapted().size() + " layers)",
                    lora * TRAINED_BYTES, ""));
            device.add(item("AdamW moments, F32", lora * ADAMW_BYTES, ""));
        }
        long tokens = s.imageTokens();
        for (boolean ckpt : new boolean[]{s.checkpointing(), !s.checkpointing()}) {
            long bytes = StepActivations.bytes(c, s.adapted(), s.rank(), s.full(), tokens, s.promptTokens(), s.batch(), ckpt);
            String what = String.format(Locale.ROOT, "activations, batch %d x (%d image + %d text tokens), gradient checkpointing %s",
                    s.batch(), tokens, s.promptTokens(), ckpt ? "on" : "off");
            device.add(new MemoryPlan.Item(what, bytes, MemoryPlan.Phase.TRAINING, ckpt == s.checkpointing(),
                    ckpt == s.checkpointing() ? "" : "not counted: the other gradient_checkpointing setting"));
        }
        List<MemoryPlan.Item> caching = s.deviceIsHost() ? device : host;
        if (s.textEncoder() != null) {
            Precision tp = Precision.parse(s.textPrecision());
            caching.add(new MemoryPlan.Item("text encoder, " + dtype(tp) + " (" + s.textEncoder().layersNeeded() + " Mistral layers)",
                    WeightBytes.textEncoder(s.textEncoder(), tp), MemoryPlan.Phase.CACHING, true,
                    "while text embeddings are cached, on the host; released before the transformer loads"));
        }
        if (!s.deviceIsHost() && !s.full())
            host.add(new MemoryPlan.Item("base weights mapped from the checkpoint, BF16", bf16, MemoryPlan.Phase.TRAINING, true,
                    "page cache: read once while they are copied to the device"));
        return new MemoryPlan(s, device, host, List.of());
    }

    /**
     * Settings that make the run fit, fewest changes first (at most four): for each precision and checkpointing
     * setting, the largest batch that fits.
     */
    static List<String> fixes(PlanSettings s) {
        List<Fix> found = new ArrayList<>();
        List<String> precisions = s.full() ? List.of(s.basePrecision()) : List.of(s.basePrecision(), "int8-quanto", "int4-quanto");
        List<Boolean> ckpts = s.checkpointing() ? List.of(true) : List.of(false, true);
        for (String p : precisions) {
            if (!p.equals(s.basePrecision()) && Precision.parse(p) == Precision.parse(s.basePrecision())) continue;
            for (boolean ck : ckpts)
                for (int b = s.batch(); b >= 1; b = b == 1 ? 0 : Math.max(1, b / 2)) {
                    MemoryPlan q = items(s.withBasePrecision(p).withCheckpointing(ck).withBatch(b));
                    if (!q.fits()) continue;
                    List<String> change = new ArrayList<>();
                    if (!p.equals(s.basePrecision())) change.add("base_model_precision \"" + p + "\"");
                    if (ck != s.checkpointing()) change.add("gradient_checkpointing true");
                    if (b != s.batch()) change.add("train_batch_size " + b);
                    if (!change.isEmpty()) found.add(new Fix(String.join(" + ", change) + " (" + ByteSize.format(q.deviceTotal()) + ")", change.size()));
                    break;
                }
        }
        return found.stream().sorted(java.util.Comparator.comparingInt(Fix::changes)).limit(4).map(Fix::text).toList();
    }

    /** A set of changed settings that fits, as the plan names it, and how many settings it changes. */
    private record Fix(String text, int changes) {}

    private static MemoryPlan.Item item(String what, long bytes, String note) {
        return new MemoryPlan.Item(what, bytes, MemoryPlan.Phase.TRAINING, true, note);
    }

    static long linearParams(Flux2Config c) {
        return Flux2Linears.of(c).values().stream().mapToLong(Flux2Linears.Size::params).sum();
    }

    static long loraParams(PlanSettings s) {
        var linears = Flux2Linears.of(s.transformer());
        long n = 0;
        for (String name : s.adapted()) {
            Flux2Linears.Size z = linears.get(name);
            n += (long) s.rank() * (z.in() + z.out());
        }
        return n;
    }

    private static String dtype(Precision p) {
        return switch (p) {
            case NO_CHANGE, BF16 -> "BF16";
            case INT8 -> "int8 with F32 row and column scales";
            case INT4 -> "int4 in groups of 128 with F32 scales";
            case FP8 -> "fp8 e4m3 with F32 row scales";
        };
    }

    private static String count(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f billion", n / 1e9)
                : n >= 1_000_000 ? String.format(Locale.ROOT, "%.1f million", n / 1e6) : Long.toString(n);
    }
}
