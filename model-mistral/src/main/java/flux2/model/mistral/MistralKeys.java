package flux2.model.mistral;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoint key names of the Mistral text model: which prefixes hold it, which belong to parts a text encoder
 * never reads, and the shapes the config implies.
 */
final class MistralKeys {
    private MistralKeys() {}

    /** Prefixes of the text decoder: Mistral3 on disk, Mistral3 in memory (transformers >= 4.52), plain Mistral. */
    static final String[] TEXT_PREFIXES = {"language_model.model.", "model.language_model.", "model."};

    /** Parts of Mistral3 or MistralForCausalLM that the text encoder skips without reading (matched first). */
    static final String[] SKIPPED_PREFIXES = {"vision_tower.", "multi_modal_projector.", "model.vision_tower.",
            "model.multi_modal_projector.", "language_model.lm_head.", "lm_head."};

    static final String[] LAYER_SUFFIXES = {"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
            "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
            "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"};

    /** The text-model name of a checkpoint key, "" for a key to skip, or null for a key this model does not know. */
    static String textName(String key) {
        for (String p : SKIPPED_PREFIXES) if (key.startsWith(p)) return "";
        for (String p : TEXT_PREFIXES) if (key.startsWith(p)) return key.substring(p.length());
        return null;
    }

    /** Layer index of a text-model name, or -1 when it is not a layer weight. */
    static int layerOf(String name) {
        if (!name.startsWith("layers.")) return -1;
        int dot = name.indexOf('.', 7);
        try {
            return dot < 0 ? -1 : Integer.parseInt(name.substring(7, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Every weight of the embedding, the first {@code layers} layers and (optionally) the final norm, with shapes. */
    static Map<String, int[]> expected(MistralConfig c, int layers, boolean finalNorm) {
        int h = c.hiddenSize(), qw = c.numHeads() * c.headDim(), kvw = c.numKvHeads() * c.headDim(), f = c.intermediateSize();
        Map<String, int[]> out = new LinkedHashMap<>();
        out.put("embed_tokens.weight", new int[]{c.vocabSize(), h});
        for (int i = 0; i < layers; i++) {
            String p = "layers." + i + ".";
            out.put(p + "input_layernorm.weight", new int[]{h});
            out.put(p + "self_attn.q_proj.weight", new int[]{qw, h});
            out.put(p + "self_attn.k_proj.weight", new int[]{kvw, h});
            out.put(p + "self_attn.v_proj.weight", new int[]{kvw, h});
            out.put(p + "self_attn.o_proj.weight", new int[]{h, qw});
            out.put(p + "post_attention_layernorm.weight", new int[]{h});
            out.put(p + "mlp.gate_proj.weight", new int[]{f, h});
            out.put(p + "mlp.up_proj.weight", new int[]{f, h});
            out.put(p + "mlp.down_proj.weight", new int[]{h, f});
        }
        if (finalNorm) out.put("norm.weight", new int[]{h});
        return out;
    }
}
