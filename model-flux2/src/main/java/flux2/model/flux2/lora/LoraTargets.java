package flux2.model.flux2.lora;

import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Which Linear modules get LoRA adapters. Presets use SimpleTuner's names ({@code all}, {@code attention},
 * {@code mlp}, {@code tiny}, and {@code default} = SimpleTuner's effective default list); explicit lists may
 * use official or diffusers module names. A module matches a target when its name equals it or ends with
 * "." + target (PEFT's rule). The fused official modules (qkv, linear1) carry one fused adapter each.
 */
public final class LoraTargets {
    private LoraTargets() {}

    private static final Map<String, List<String>> PRESETS = Map.of(
            "all", List.of("img_attn.qkv", "img_attn.proj", "txt_attn.qkv", "txt_attn.proj", "img_mlp.0", "img_mlp.2", "txt_mlp.0", "txt_mlp.2", "linear1", "linear2"),
            "attention", List.of("img_attn.qkv", "img_attn.proj", "txt_attn.qkv", "txt_attn.proj", "linear1", "linear2"),
            "mlp", List.of("img_mlp.0", "img_mlp.2", "txt_mlp.0", "txt_mlp.2"),
            "tiny", List.of("img_attn.qkv"),
            "default", List.of("img_attn.qkv", "img_attn.proj", "linear1"));

    /** Diffusers module names (after an optional "attn.") to the official fused module they live in. */
    private static final Map<String, String> DIFFUSERS = Map.ofEntries(
            Map.entry("to_q", "img_attn.qkv"), Map.entry("to_k", "img_attn.qkv"), Map.entry("to_v", "img_attn.qkv"),
            Map.entry("to_out.0", "img_attn.proj"),
            Map.entry("add_q_proj", "txt_attn.qkv"), Map.entry("add_k_proj", "txt_attn.qkv"), Map.entry("add_v_proj", "txt_attn.qkv"),
            Map.entry("to_add_out", "txt_attn.proj"),
            Map.entry("ff.linear_in", "img_mlp.0"), Map.entry("ff.linear_out", "img_mlp.2"),
            Map.entry("ff_context.linear_in", "txt_mlp.0"), Map.entry("ff_context.linear_out", "txt_mlp.2"),
            Map.entry("to_qkv_mlp_proj", "linear1"), Map.entry("to_out", "linear2"));

    /** The target list of a preset; an error naming the presets for an unknown one. */
    public static List<String> preset(String name) {
        List<String> p = PRESETS.get(name);
        if (p == null) throw new IllegalArgumentException("unknown LoRA target preset '" + name + "'; known: " + PRESETS.keySet().stream().sorted().toList());
        return p;
    }

    /** Every Linear of the tree by dotted name, in registration order. */
    public static Map<String, Linear> linears(Module root) {
        return root.modulesOfType(Linear.class);
    }

    /** The official target of a name given in diffusers form, or the name itself. */
    static String official(String target) {
        String block = "", rest = target;
        String[] p = target.split("\\.", 3);
        if (p.length == 3 && (p[0].equals("transformer_blocks") || p[0].equals("single_transformer_blocks"))) {
            block = (p[0].equals("transformer_blocks") ? "double_blocks." : "single_blocks.") + p[1] + ".";
            rest = p[2];
        }
        if (rest.startsWith("attn.")) rest = rest.substring(5);
        String mapped = DIFFUSERS.get(rest);
        return mapped == null ? target : block + mapped;
    }

    /** The names of the Linear modules selected by {@code targets}; an error lists targets that select nothing. */
    public static List<String> resolve(Module root, List<String> targets) {
        return resolve(linears(root).keySet(), targets);
    }

    /** The names among {@code all} (Linear module names, in model order) selected by {@code targets}, as {@link #resolve(Module, List)}. */
    public static List<String> resolve(Collection<String> all, List<String> targets) {
        List<String> chosen = new ArrayList<>(), unmatched = new ArrayList<>();
        for (String target : targets) {
            boolean hit = false;
            for (String t : List.of(target, official(target))) {
                for (String name : all) {
                    if (name.equals(t) || name.endsWith("." + t)) {
                        hit = true;
                        if (!chosen.contains(name)) chosen.add(name);
                    }
                }
                if (hit) break;
            }
            if (!hit) unmatched.add(target);
        }
        if (!unmatched.isEmpty())
            throw new IllegalArgumentException("LoRA targets match no Linear module: " + unmatched + " (presets: " + PRESETS.keySet().stream().sorted().toList() + ")");
        List<String> ordered = new ArrayList<>();
        for (String name : all) if (chosen.contains(name)) ordered.add(name);
        return ordered;
    }
}
