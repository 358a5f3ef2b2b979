package flux2.model.flux2.lora;

import flux2.model.flux2.DiffusersKeys;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA module names of FLUX.2 in the official, diffusers and kohya spellings, derived from {@link DiffusersKeys}
 * so that weights and adapters follow one table. A diffusers module is a {@link Part} of an official one: the
 * same module, one of the q/k/v row blocks of a fused qkv, or the final modulation with its row halves swapped.
 */
final class LoraNames {
    private LoraNames() {}

    private static final List<String> TOP = List.of("img_in", "txt_in", "time_in.in_layer", "time_in.out_layer",
            "guidance_in.in_layer", "guidance_in.out_layer", "double_stream_modulation_img.lin", "double_stream_modulation_txt.lin",
            "single_stream_modulation.lin", "final_layer.linear", "final_layer.adaLN_modulation.1");
    private static final List<String> DOUBLE = List.of("img_attn.qkv", "img_attn.proj", "img_mlp.0", "img_mlp.2",
            "txt_attn.qkv", "txt_attn.proj", "txt_mlp.0", "txt_mlp.2");
    private static final List<String> SINGLE = List.of("linear1", "linear2");
    private static final Pattern BLOCK = Pattern.compile("(double_blocks|single_blocks)[._](\\d+)[._](.+)");
    private static final Pattern DIFFUSERS_BLOCK = Pattern.compile("(transformer_blocks|single_transformer_blocks)\\.(\\d+)\\..+");

    /** Where a diffusers module sits in an official one: row block {@code index} of {@code count}, or with swapped halves. */
    record Part(String official, int index, int count, boolean swapHalves) {}

    /** Whether {@code name} is an official FLUX.2 Linear module name. */
    static boolean isOfficial(String name) {
        if (TOP.contains(name)) return true;
        Matcher m = BLOCK.matcher(name);
        return m.matches() && name.charAt(m.end(1)) == '.' && name.charAt(m.end(2)) == '.'
                && (m.group(1).equals("double_blocks") ? DOUBLE : SINGLE).contains(m.group(3));
    }

    /** The official module of a kohya name ({@code double_blocks_0_img_attn_qkv}), or null. */
    static String fromKohya(String name) {
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            for (String s : m.group(1).equals("double_blocks") ? DOUBLE : SINGLE)
                if (s.replace('.', '_').equals(m.group(3))) return m.group(1) + "." + m.group(2) + "." + s;
            return null;
        }
        for (String t : TOP) if (t.replace('.', '_').equals(name)) return t;
        return null;
    }

    /** The kohya spelling of an official module name. */
    static String toKohya(String official) { return official.replace('.', '_'); }

    /** The official module a diffusers module belongs to, or null for a name FLUX.2 does not have. */
    static Part fromDiffusers(String module) {
        Matcher m = DIFFUSERS_BLOCK.matcher(module);
        List<String> candidates;
        if (m.matches()) {
            String pre = (m.group(1).equals("transformer_blocks") ? "double_blocks." : "single_blocks.") + m.group(2) + ".";
            candidates = (m.group(1).equals("transformer_blocks") ? DOUBLE : SINGLE).stream().map(s -> pre + s).toList();
        } else candidates = TOP;
        for (String c : candidates) {
            DiffusersKeys.Source s = DiffusersKeys.of(c + ".weight");
            int i = s.keys().indexOf(module + ".weight");
            if (i >= 0) return new Part(c, i, s.keys().size(), s.combine() == DiffusersKeys.Combine.SWAP_HALVES);
        }
        return null;
    }

    /** The diffusers modules of an official module (three for a fused qkv, in q, k, v order). */
    static List<String> toDiffusers(String official) {
        return DiffusersKeys.of(official + ".weight").keys().stream().map(k -> k.substring(0, k.length() - ".weight".length())).toList();
    }

    /** Whether the diffusers form of an official module stores its rows with the two halves swapped. */
    static boolean swapsHalves(String official) {
        return DiffusersKeys.of(official + ".weight").combine() == DiffusersKeys.Combine.SWAP_HALVES;
    }
}
