package flux2.model.vae;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameter names of the autoencoder: the official {@code ae.safetensors} names with their shapes for a
 * config (those of {@link AutoEncoder}'s modules), and the translation of diffusers {@code vae/} names into them.
 */
public final class VaeKeys {
    /** Counters of the batch-norm buffers that neither format needs. */
    public static final String BN_COUNTER = "bn.num_batches_tracked";

    private static final Pattern DOWN_RESNET = Pattern.compile("encoder\\.down_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)");
    private static final Pattern DOWN_SAMPLER = Pattern.compile("encoder\\.down_blocks\\.(\\d+)\\.downsamplers\\.0\\.conv\\.(.+)");
    private static final Pattern UP_RESNET = Pattern.compile("decoder\\.up_blocks\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)");
    private static final Pattern UP_SAMPLER = Pattern.compile("decoder\\.up_blocks\\.(\\d+)\\.upsamplers\\.0\\.conv\\.(.+)");
    private static final Pattern MID = Pattern.compile("(encoder|decoder)\\.mid_block\\.(resnets|attentions)\\.(\\d+)\\.(.+)");

    private VaeKeys() {}

    /** Official name to shape of every parameter the config needs, in the reference's order. */
    public static Map<String, int[]> official(VaeConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        // parameters declared by shape take no memory until read
        new AutoEncoder(c, null).namedParameters().forEach((name, p) -> m.put(name, p.shape()));
        return m;
    }

    /**
     * The official name of a diffusers name ({@code levels} resolution levels: the decoder's up-block index is
     * reversed); names already official, or unknown, come back unchanged.
     */
    public static String fromDiffusers(String name, int levels) {
        if (name.startsWith("quant_conv.")) return "encoder." + name;
        if (name.startsWith("post_quant_conv.")) return "decoder." + name;
        Matcher r;
        if ((r = DOWN_RESNET.matcher(name)).matches())
            return "encoder.down." + r.group(1) + ".block." + r.group(2) + "." + resnetPart(r.group(3));
        if ((r = DOWN_SAMPLER.matcher(name)).matches()) return "encoder.down." + r.group(1) + ".downsample.conv." + r.group(2);
        if ((r = UP_RESNET.matcher(name)).matches())
            return "decoder.up." + (levels - 1 - Integer.parseInt(r.group(1))) + ".block." + r.group(2) + "." + resnetPart(r.group(3));
        if ((r = UP_SAMPLER.matcher(name)).matches())
            return "decoder.up." + (levels - 1 - Integer.parseInt(r.group(1))) + ".upsample.conv." + r.group(2);
        if ((r = MID.matcher(name)).matches()) {
            String part = r.group(4);
            if (r.group(2).equals("resnets")) return r.group(1) + ".mid.block_" + (Integer.parseInt(r.group(3)) + 1) + "." + resnetPart(part);
            return r.group(1) + ".mid.attn_" + (Integer.parseInt(r.group(3)) + 1) + "." + attentionPart(part);
        }
        if (name.startsWith("encoder.conv_norm_out.")) return "encoder.norm_out." + name.substring("encoder.conv_norm_out.".length());
        if (name.startsWith("decoder.conv_norm_out.")) return "decoder.norm_out." + name.substring("decoder.conv_norm_out.".length());
        return name;
    }

    /** Whether a name is in the diffusers layout (so that its attention weights are squeezed 1x1 convs). */
    public static boolean isDiffusers(String name) { return !fromDiffusers(name, 1).equals(name); }

    private static String resnetPart(String p) {
        return p.startsWith("conv_shortcut.") ? "nin_shortcut." + p.substring("conv_shortcut.".length()) : p;
    }

    private static String attentionPart(String p) {
        if (p.startsWith("group_norm.")) return "norm." + p.substring("group_norm.".length());
        if (p.startsWith("to_out.0.")) return "proj_out." + p.substring("to_out.0.".length());
        for (String qkv : new String[]{"q", "k", "v"})
            if (p.startsWith("to_" + qkv + ".")) return qkv + "." + p.substring(("to_" + qkv + ".").length());
        return p;
    }
}
