package flux2.model.vae;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameter names of the autoencoder: the official {@code ae.safetensors} names with their shapes for a
 * config, and the translation of diffusers {@code vae/} names into them.
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

    /** Official name to shape of every parameter the config needs, in execution order. */
    public static Map<String, int[]> official(VaeConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int top = c.width(c.levels() - 1), z = c.zChannels();
        conv(m, "encoder.conv_in", c.ch(), c.inChannels(), 3);
        int in = c.ch();
        for (int i = 0; i < c.levels(); i++) {
            for (int j = 0; j < c.numResBlocks(); j++) {
                resnet(m, "encoder.down." + i + ".block." + j, in, c.width(i));
                in = c.width(i);
            }
            if (i < c.levels() - 1) conv(m, "encoder.down." + i + ".downsample.conv", in, in, 3);
        }
        mid(m, "encoder.mid", top, c.midAttention());
        norm(m, "encoder.norm_out", top);
        conv(m, "encoder.conv_out", 2 * z, top, 3);
        if (c.quantConv()) {
            conv(m, "encoder.quant_conv", 2 * z, 2 * z, 1);
            conv(m, "decoder.post_quant_conv", z, z, 1);
        }
        conv(m, "decoder.conv_in", top, z, 3);
        mid(m, "decoder.mid", top, c.midAttention());
        in = top;
        for (int i = c.levels() - 1; i >= 0; i--) {
            for (int j = 0; j <= c.numResBlocks(); j++) {
                resnet(m, "decoder.up." + i + ".block." + j, in, c.width(i));
                in = c.width(i);
            }
            if (i > 0) conv(m, "decoder.up." + i + ".upsample.conv", in, in, 3);
        }
        norm(m, "decoder.norm_out", c.width(0));
        conv(m, "decoder.conv_out", c.outChannels(), c.width(0), 3);
        m.put("bn.running_mean", new int[]{c.latentChannels()});
        m.put("bn.running_var", new int[]{c.latentChannels()});
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

    private static void conv(Map<String, int[]> m, String name, int out, int in, int k) {
        m.put(name + ".weight", new int[]{out, in, k, k});
        m.put(name + ".bias", new int[]{out});
    }

    private static void norm(Map<String, int[]> m, String name, int c) {
        m.put(name + ".weight", new int[]{c});
        m.put(name + ".bias", new int[]{c});
    }

    private static void resnet(Map<String, int[]> m, String name, int in, int out) {
        norm(m, name + ".norm1", in);
        conv(m, name + ".conv1", out, in, 3);
        norm(m, name + ".norm2", out);
        conv(m, name + ".conv2", out, out, 3);
        if (in != out) conv(m, name + ".nin_shortcut", out, in, 1);
    }

    private static void mid(Map<String, int[]> m, String name, int c, boolean attention) {
        resnet(m, name + ".block_1", c, c);
        if (attention) {
            norm(m, name + ".attn_1.norm", c);
            for (String p : new String[]{"q", "k", "v", "proj_out"}) conv(m, name + ".attn_1." + p, c, c, 1);
        }
        resnet(m, name + ".block_2", c, c);
    }
}
