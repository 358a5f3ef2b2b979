package flux2.model.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Hyperparameters of the FLUX.2 autoencoder, in the official {@code AutoEncoderParams} terms.
 *
 * @param inChannels    image channels in (3)
 * @param ch            base channel count; level i has ch * chMult[i] channels
 * @param outChannels   image channels out (3)
 * @param chMult        channel multiplier per resolution level
 * @param numResBlocks  ResNet blocks per encoder level (the decoder has one more)
 * @param zChannels     latent channels before patchify (the encoder emits 2 z: mean and log-variance)
 * @param groups        GroupNorm groups (32)
 * @param quantConv     whether the 1x1 quant_conv / post_quant_conv exist
 * @param midAttention  whether the mid blocks hold the single-head attention
 * @param bnEps         eps of the latent batch-norm standardisation (1e-4)
 * @param patch         side of the pixel-unshuffle patch (2)
 */
public record VaeConfig(int inChannels, int ch, int outChannels, int[] chMult, int numResBlocks, int zChannels,
                        int groups, boolean quantConv, boolean midAttention, double bnEps, int patch) {
    /** GroupNorm eps, fixed by the architecture. */
    public static final double NORM_EPS = 1e-6;
    private static final ObjectMapper JSON = flux2.tensor.io.StrictJson.mapper();

    public VaeConfig {
        chMult = chMult.clone();
        List<String> bad = new ArrayList<>();
        if (inChannels < 1) bad.add("in_channels must be positive, got " + inChannels);
        if (outChannels < 1) bad.add("out_channels must be positive, got " + outChannels);
        if (ch < 1) bad.add("ch must be positive, got " + ch);
        if (chMult.length == 0) bad.add("ch_mult must not be empty");
        for (int m : chMult) if (m < 1) bad.add("ch_mult entries must be positive, got " + Arrays.toString(chMult));
        if (numResBlocks < 1) bad.add("num_res_blocks must be positive, got " + numResBlocks);
        if (zChannels < 1) bad.add("z_channels must be positive, got " + zChannels);
        if (groups < 1) bad.add("groups must be positive, got " + groups);
        else for (int m : chMult)
            if (ch * m % groups != 0) bad.add("level width " + ch * m + " is not a multiple of " + groups + " groups");
        if (!(bnEps > 0)) bad.add("bn_eps must be positive, got " + bnEps);
        if (patch < 1) bad.add("patch must be positive, got " + patch);
        if (!bad.isEmpty()) throw new IllegalArgumentException("bad VAE config: " + String.join("; ", bad));
    }

    /** The FLUX.2-dev autoencoder: ch 128, mult 1/2/4/4, 2 res blocks, z 32. */
    public static VaeConfig flux2() {
        return new VaeConfig(3, 128, 3, new int[]{1, 2, 4, 4}, 2, 32, 32, true, true, 1e-4, 2);
    }

    /** Channels of resolution level i. */
    public int width(int level) { return ch * chMult[level]; }

    public int levels() { return chMult.length; }

    /** Channels of the normalised latent: z * patch^2 (128 for FLUX.2). */
    public int latentChannels() { return zChannels * patch * patch; }

    /** Pixels per latent position along each side: 2^(levels-1) * patch (16 for FLUX.2). */
    public int pixelsPerLatent() { return (1 << (levels() - 1)) * patch; }

    @Override public int[] chMult() { return chMult.clone(); }

    /** From the official parameter names (the golden files' {@code config} metadata). */
    public static VaeConfig fromOfficialJson(String json) {
        JsonNode n = parse(json, "VAE config");
        VaeConfig d = flux2();
        int[] patch = ints(n, "patch", new int[]{d.patch, d.patch});
        if (patch.length != 2 || patch[0] != patch[1])
            throw new IllegalArgumentException("bad VAE config: patch must be a square [p, p], got " + Arrays.toString(patch));
        return new VaeConfig(integer(n, "in_channels", d.inChannels), integer(n, "ch", d.ch),
                integer(n, "out_ch", d.outChannels), ints(n, "ch_mult", d.chMult), integer(n, "num_res_blocks", d.numResBlocks),
                integer(n, "z_channels", d.zChannels), d.groups, true, true, number(n, "bn_eps", d.bnEps), patch[0]);
    }

    /** From a diffusers {@code vae/config.json} (AutoencoderKLFlux2). */
    public static VaeConfig fromDiffusersConfig(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return fromDiffusersJson(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The config that goes with a checkpoint: a diffusers {@code vae/} folder's {@code config.json} when the
     * path is such a folder, else the FLUX.2 defaults (the official {@code ae.safetensors} carries no config).
     */
    public static VaeConfig forCheckpoint(Path checkpoint) throws IOException {
        Path json = checkpoint.resolve("config.json");
        return Files.isDirectory(checkpoint) && Files.isRegularFile(json) ? fromDiffusersConfig(json) : flux2();
    }

    /** From the text of a diffusers {@code vae/config.json}. */
    public static VaeConfig fromDiffusersJson(String json) {
        JsonNode n = parse(json, "diffusers VAE config");
        VaeConfig d = flux2();
        List<String> bad = new ArrayList<>();
        String act = n.path("act_fn").asText("silu");
        if (!act.equals("silu") && !act.equals("swish")) bad.add("act_fn must be silu, got " + act);
        int[] out = ints(n, "block_out_channels", new int[]{128, 256, 512, 512});
        for (String key : List.of("down_block_types", "up_block_types")) {
            String want = key.startsWith("down") ? "DownEncoderBlock2D" : "UpDecoderBlock2D";
            JsonNode types = n.get(key);
            if (types == null) continue;
            if (types.size() != out.length) bad.add(key + " has " + types.size() + " entries, block_out_channels " + out.length);
            for (JsonNode t : types) if (!t.asText().equals(want)) bad.add(key + " may only hold " + want + ", got " + t.asText());
        }
        int ch = out.length > 0 ? out[0] : 0;
        int[] mult = new int[out.length];
        for (int i = 0; i < out.length; i++) {
            if (ch <= 0 || out[i] % ch != 0) bad.add("block_out_channels " + Arrays.toString(out) + " are not multiples of the first");
            mult[i] = ch > 0 ? out[i] / ch : 0;
        }
        boolean quant = n.path("use_quant_conv").asBoolean(true), postQuant = n.path("use_post_quant_conv").asBoolean(true);
        if (quant != postQuant) bad.add("use_quant_conv and use_post_quant_conv must agree");
        int[] patch = ints(n, "patch_size", new int[]{2, 2});
        if (patch.length != 2 || patch[0] != patch[1]) bad.add("patch_size must be a square [p, p], got " + Arrays.toString(patch));
        if (!bad.isEmpty()) throw new IllegalArgumentException("bad VAE config: " + String.join("; ", bad));
        return new VaeConfig(integer(n, "in_channels", d.inChannels), ch, integer(n, "out_channels", d.outChannels), mult,
                integer(n, "layers_per_block", d.numResBlocks), integer(n, "latent_channels", d.zChannels),
                integer(n, "norm_num_groups", d.groups), quant, n.path("mid_block_add_attention").asBoolean(true),
                number(n, "batch_norm_eps", d.bnEps), patch[0]);
    }

    private static JsonNode parse(String json, String what) {
        try {
            JsonNode n = JSON.readTree(json);
            if (n == null || !n.isObject()) throw new IllegalArgumentException(what + " is not a JSON object");
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? flux2.tensor.io.StrictJson.describe(j) : e.getMessage()), e);
        }
    }

    private static int integer(JsonNode n, String key, int fallback) {
        JsonNode v = n.get(key);
        if (v == null) return fallback;
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt())
            throw new IllegalArgumentException("bad VAE config: " + key + " must be an integer, got " + v);
        return v.asInt();
    }

    private static double number(JsonNode n, String key, double fallback) {
        JsonNode v = n.get(key);
        if (v == null) return fallback;
        if (!v.isNumber()) throw new IllegalArgumentException("bad VAE config: " + key + " must be a number, got " + v);
        return v.asDouble();
    }

    private static int[] ints(JsonNode n, String key, int[] fallback) {
        JsonNode v = n.get(key);
        if (v == null) return fallback;
        if (!v.isArray()) throw new IllegalArgumentException("bad VAE config: " + key + " must be a list of integers, got " + v);
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).canConvertToExactIntegral())
                throw new IllegalArgumentException("bad VAE config: " + key + " must be a list of integers, got " + v);
            out[i] = v.get(i).asInt();
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VaeConfig c && inChannels == c.inChannels && ch == c.ch && outChannels == c.outChannels
                && Arrays.equals(chMult, c.chMult) && numResBlocks == c.numResBlocks && zChannels == c.zChannels
                && groups == c.groups && quantConv == c.quantConv && midAttention == c.midAttention
                && bnEps == c.bnEps && patch == c.patch;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(chMult) * 31 + java.util.Objects.hash(inChannels, ch, zChannels, numResBlocks); }

    @Override
    public String toString() {
        return "VaeConfig[in " + inChannels + ", ch " + ch + ", mult " + Arrays.toString(chMult) + ", res blocks "
                + numResBlocks + ", z " + zChannels + ", out " + outChannels + ", groups " + groups
                + (quantConv ? "" : ", no quant convs") + (midAttention ? "" : ", no mid attention") + ", bn eps " + bnEps
                + ", patch " + patch + "]";
    }
}
