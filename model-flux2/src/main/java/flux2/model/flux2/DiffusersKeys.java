package flux2.model.flux2;

import java.util.List;
import java.util.Map;

/**
 * Where each official FLUX.2 weight lives in the diffusers layout: renamed, split in q/k/v (rows concatenated
 * back), or with its two row halves swapped (final layer: diffusers stores [scale | shift]).
 */
public final class DiffusersKeys {
    private DiffusersKeys() {}

    /** How the diffusers tensors combine into the official one. */
    public enum Combine { RENAME, CONCAT_ROWS, SWAP_HALVES }

    /** The diffusers keys holding one official weight. */
    public record Source(List<String> keys, Combine combine) {
        static Source rename(String k) { return new Source(List.of(k), Combine.RENAME); }
    }

    private static final Map<String, String> TOP = Map.ofEntries(
            Map.entry("img_in.weight", "x_embedder.weight"),
            Map.entry("txt_in.weight", "context_embedder.weight"),
            Map.entry("time_in.in_layer.weight", "time_guidance_embed.timestep_embedder.linear_1.weight"),
            Map.entry("time_in.out_layer.weight", "time_guidance_embed.timestep_embedder.linear_2.weight"),
            Map.entry("guidance_in.in_layer.weight", "time_guidance_embed.guidance_embedder.linear_1.weight"),
            Map.entry("guidance_in.out_layer.weight", "time_guidance_embed.guidance_embedder.linear_2.weight"),
            Map.entry("double_stream_modulation_img.lin.weight", "double_stream_modulation_img.linear.weight"),
            Map.entry("double_stream_modulation_txt.lin.weight", "double_stream_modulation_txt.linear.weight"),
            Map.entry("single_stream_modulation.lin.weight", "single_stream_modulation.linear.weight"),
            Map.entry("final_layer.linear.weight", "proj_out.weight"));

    private static final Map<String, String> DOUBLE = Map.ofEntries(
            Map.entry("img_attn.norm.query_norm.scale", "attn.norm_q.weight"),
            Map.entry("img_attn.norm.key_norm.scale", "attn.norm_k.weight"),
            Map.entry("img_attn.proj.weight", "attn.to_out.0.weight"),
            Map.entry("img_mlp.0.weight", "ff.linear_in.weight"),
            Map.entry("img_mlp.2.weight", "ff.linear_out.weight"),
            Map.entry("txt_attn.norm.query_norm.scale", "attn.norm_added_q.weight"),
            Map.entry("txt_attn.norm.key_norm.scale", "attn.norm_added_k.weight"),
            Map.entry("txt_attn.proj.weight", "attn.to_add_out.weight"),
            Map.entry("txt_mlp.0.weight", "ff_context.linear_in.weight"),
            Map.entry("txt_mlp.2.weight", "ff_context.linear_out.weight"));

    private static final Map<String, String> SINGLE = Map.of(
            "linear1.weight", "attn.to_qkv_mlp_proj.weight",
            "linear2.weight", "attn.to_out.weight",
            "norm.query_norm.scale", "attn.norm_q.weight",
            "norm.key_norm.scale", "attn.norm_k.weight");

    /** The source of an official weight name; an IllegalArgumentException for a name FLUX.2 does not have. */
    public static Source of(String official) {
        if (official.equals("final_layer.adaLN_modulation.1.weight")) return new Source(List.of("norm_out.linear.weight"), Combine.SWAP_HALVES);
        String top = TOP.get(official);
        if (top != null) return Source.rename(top);
        String[] p = official.split("\\.", 3);
        if (p.length == 3 && p[0].equals("double_blocks")) {
            String pre = "transformer_blocks." + p[1] + ".";
            if (p[2].equals("img_attn.qkv.weight"))
                return new Source(List.of(pre + "attn.to_q.weight", pre + "attn.to_k.weight", pre + "attn.to_v.weight"), Combine.CONCAT_ROWS);
            if (p[2].equals("txt_attn.qkv.weight"))
                return new Source(List.of(pre + "attn.add_q_proj.weight", pre + "attn.add_k_proj.weight", pre + "attn.add_v_proj.weight"), Combine.CONCAT_ROWS);
            String k = DOUBLE.get(p[2]);
            if (k != null) return Source.rename(pre + k);
        }
        if (p.length == 3 && p[0].equals("single_blocks")) {
            String k = SINGLE.get(p[2]);
            if (k != null) return Source.rename("single_transformer_blocks." + p[1] + "." + k);
        }
        throw new IllegalArgumentException("no diffusers name known for FLUX.2 weight '" + official + "'");
    }
}
