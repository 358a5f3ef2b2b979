package flux2.model.flux2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Every size of a FLUX.2 transformer. Built from the official parameter names (as in a golden file's
 * metadata {@code config}), from a diffusers {@code transformer/config.json}, or from the presets.
 */
public record Flux2Config(int inChannels, int contextInDim, int hiddenSize, int numHeads, int depth, int depthSingleBlocks,
                          int[] axesDim, double theta, double mlpRatio, boolean guidanceEmbed) {
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();

    public Flux2Config {
        axesDim = axesDim.clone();
        List<String> bad = new ArrayList<>();
        if (inChannels <= 0) bad.add("in_channels must be > 0, got " + inChannels);
        if (contextInDim <= 0) bad.add("context_in_dim must be > 0, got " + contextInDim);
        if (numHeads <= 0) bad.add("num_heads must be > 0, got " + numHeads);
        else if (hiddenSize <= 0 || hiddenSize % numHeads != 0) bad.add("hidden_size " + hiddenSize + " must be a positive multiple of num_heads " + numHeads);
        if (depth < 0 || depthSingleBlocks < 0) bad.add("block counts must be >= 0, got " + depth + " and " + depthSingleBlocks);
        if (numHeads > 0 && hiddenSize % numHeads == 0 && Arrays.stream(axesDim).sum() != hiddenSize / numHeads)
            bad.add("axes_dim " + Arrays.toString(axesDim) + " must add up to the head dim " + hiddenSize / Math.max(numHeads, 1));
        for (int d : axesDim) if (d <= 0 || d % 2 != 0) bad.add("every axes_dim entry must be even and > 0, got " + Arrays.toString(axesDim));
        if (!(theta > 0)) bad.add("theta must be > 0, got " + theta);
        if (!(mlpRatio > 0)) bad.add("mlp_ratio must be > 0, got " + mlpRatio);
        if (!bad.isEmpty()) throw new IllegalArgumentException("bad FLUX.2 config: " + String.join("; ", bad));
    }

    @Override public int[] axesDim() { return axesDim.clone(); }

    public int headDim() { return hiddenSize / numHeads; }

    /** The SwiGLU hidden width (int(hidden * ratio), as the reference truncates). */
    public int mlpHidden() { return (int) (hiddenSize * mlpRatio); }

    /** FLUX.2-dev: 6144 wide, 48 heads, 8 + 48 blocks, 15360 text features, guidance-distilled. */
    public static Flux2Config dev() { return new Flux2Config(128, 15360, 6144, 48, 8, 48, new int[]{32, 32, 32, 32}, 2000, 3.0, true); }

    /** FLUX.2-klein 4B: 3072 wide, 24 heads, 5 + 20 blocks, 7680 text features, no guidance embedder. */
    public static Flux2Config klein4b() { return new Flux2Config(128, 7680, 3072, 24, 5, 20, new int[]{32, 32, 32, 32}, 2000, 3.0, false); }

    /** FLUX.2-klein 9B: 4096 wide, 32 heads, 8 + 24 blocks, 12288 text features, no guidance embedder. */
    public static Flux2Config klein9b() { return new Flux2Config(128, 12288, 4096, 32, 8, 24, new int[]{32, 32, 32, 32}, 2000, 3.0, false); }

    private static final Set<String> OFFICIAL_KEYS = Set.of("in_channels", "context_in_dim", "hidden_size", "num_heads", "depth",
            "depth_single_blocks", "axes_dim", "theta", "mlp_ratio", "use_guidance_embed", "guidance_embed", "out_channels");

    /** From official parameter names (BFL {@code Flux2Params}); absent keys take the FLUX.2-dev value. */
    public static Flux2Config fromOfficialJson(String json) {
        JsonNode n = parse(json, "FLUX.2 config");
        unknownKeys(n, OFFICIAL_KEYS, "FLUX.2 config");
        Flux2Config d = dev();
        boolean guidance = n.has("use_guidance_embed") ? n.get("use_guidance_embed").asBoolean()
                : n.path("guidance_embed").asBoolean(d.guidanceEmbed);
        int in = n.path("in_channels").asInt(d.inChannels);
        if (n.has("out_channels") && !n.get("out_channels").isNull() && n.get("out_channels").asInt() != in)
            throw new IllegalArgumentException("bad FLUX.2 config: out_channels must equal in_channels " + in);
        return new Flux2Config(in, n.path("context_in_dim").asInt(d.contextInDim),
                n.path("hidden_size").asInt(d.hiddenSize), n.path("num_heads").asInt(d.numHeads), n.path("depth").asInt(d.depth),
                n.path("depth_single_blocks").asInt(d.depthSingleBlocks), ints(n.get("axes_dim"), d.axesDim),
                n.path("theta").asDouble(d.theta), n.path("mlp_ratio").asDouble(d.mlpRatio), guidance);
    }

    private static final Set<String> DIFFUSERS_KEYS = Set.of("patch_size", "in_channels", "out_channels", "num_layers", "num_single_layers",
            "attention_head_dim", "num_attention_heads", "joint_attention_dim", "timestep_guidance_channels", "mlp_ratio",
            "axes_dims_rope", "rope_theta", "eps", "guidance_embeds");

    /** From a diffusers {@code transformer/config.json} (keys starting with '_' are ignored). */
    public static Flux2Config fromDiffusersJson(String json) {
        JsonNode n = parse(json, "diffusers transformer config");
        unknownKeys(n, DIFFUSERS_KEYS, "diffusers transformer config");
        List<String> bad = new ArrayList<>();
        if (n.path("patch_size").asInt(1) != 1) bad.add("patch_size must be 1");
        if (n.path("timestep_guidance_channels").asInt(256) != 256) bad.add("timestep_guidance_channels must be 256");
        if (n.path("eps").asDouble(1e-6) != 1e-6) bad.add("eps must be 1e-6");
        int in = n.path("in_channels").asInt(128);
        if (n.has("out_channels") && !n.get("out_channels").isNull() && n.get("out_channels").asInt() != in) bad.add("out_channels must equal in_channels");
        if (!bad.isEmpty()) throw new IllegalArgumentException("bad diffusers transformer config: " + String.join("; ", bad));
        int heads = n.path("num_attention_heads").asInt(48), headDim = n.path("attention_head_dim").asInt(128);
        return new Flux2Config(in, n.path("joint_attention_dim").asInt(15360), heads * headDim, heads,
                n.path("num_layers").asInt(8), n.path("num_single_layers").asInt(48), ints(n.get("axes_dims_rope"), new int[]{32, 32, 32, 32}),
                n.path("rope_theta").asDouble(2000), n.path("mlp_ratio").asDouble(3.0), n.path("guidance_embeds").asBoolean(true));
    }

    private static JsonNode parse(String json, String what) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) throw new IllegalArgumentException(what + " must be a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": " + flux2.tensor.io.StrictJson.describe(e), e);
        }
    }

    private static void unknownKeys(JsonNode n, Set<String> known, String what) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.startsWith("_") && !known.contains(k)) unknown.add(k);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException(what + " has unknown keys " + unknown + "; allowed: " + known);
    }

    private static int[] ints(JsonNode a, int[] fallback) {
        if (a == null || a.isNull()) return fallback.clone();
        if (!a.isArray()) throw new IllegalArgumentException("bad FLUX.2 config: axes dims must be a list of integers, got " + a);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Flux2Config c && inChannels == c.inChannels && contextInDim == c.contextInDim && hiddenSize == c.hiddenSize
                && numHeads == c.numHeads && depth == c.depth && depthSingleBlocks == c.depthSingleBlocks && Arrays.equals(axesDim, c.axesDim)
                && theta == c.theta && mlpRatio == c.mlpRatio && guidanceEmbed == c.guidanceEmbed;
    }

    @Override public int hashCode() { return Arrays.hashCode(axesDim) * 31 + hiddenSize * 7 + depth + depthSingleBlocks; }

    @Override public String toString() {
        return "Flux2Config[in=" + inChannels + ", context=" + contextInDim + ", hidden=" + hiddenSize + ", heads=" + numHeads + ", depth="
                + depth + "+" + depthSingleBlocks + ", axes=" + Arrays.toString(axesDim) + ", theta=" + theta + ", mlp=" + mlpRatio
                + ", guidance=" + guidanceEmbed + "]";
    }
}
