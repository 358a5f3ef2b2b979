package flux2.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.autograd.nn.Parameter;
import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.vae.VaeConfig;
import flux2.model.vae.VaeKeys;
import flux2.model.vae.VaeWeights;
import flux2.tensor.DType;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsWriter;
import flux2.trainer.models.TransformerFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import flux2.model.mistral.FluxPromptTokenizer;
import flux2.examples.shapes.Scene;
import flux2.examples.shapes.ShapeColor;
import flux2.examples.shapes.Shapes;
import flux2.trainer.models.ModelParts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A miniature FLUX.2-dev model folder in the diffusers repository layout that the trainer's model locator reads:
 * transformer/ (diffusers config.json and keys, q/k/v split), vae/ (diffusers config.json and keys), text_encoder/ (a Mistral3 config.json with a 4-layer text model
 * whose hidden states 1, 2, 3 make a 48-wide embedding) and tokenizer/ (a byte-level tekken.json: 20 control
 * tokens, the 256 bytes, then merges for the words of the system message and the shapes captions; prompts are
 * padded to 48 tokens). Every weight is seeded random, so the same seed writes the same files.
 * Sizes: image tokens of 128 -> 16 channels (VAE z 4, patch 2, 16 px per token), hidden 32, 2 heads, 1 double and
 * 1 single block.
 */
public final class TinyModel {
    private TinyModel() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The transformer's config. */
    public static Flux2Config transformerConfig() {
        return new Flux2Config(16, 48, 32, 2, 1, 1, new int[]{4, 4, 4, 4}, 2000, 3.0, true);
    }

    /** The VAE's config: 4 levels of 8 channels, z 4, 4 GroupNorm groups. */
    public static VaeConfig vaeConfig() {
        return new VaeConfig(3, 8, 3, new int[]{1, 1, 1, 1}, 1, 4, 4, true, true, 1e-4, 2);
    }

    /** The seed of the text encoder of the embedded example and the pretrained miniature (that of {@code write(root, 7)}). */
    public static final long TEXT_ENCODER_SEED = 9;

    /** Writes the four component folders under {@code root} (created if needed) and returns root. */
    public static Path write(Path root, long seed) throws IOException {
        try (TensorArena a = TensorArena.open("tiny-model")) {
            writeTransformer(root.resolve("transformer"), new Rng(seed));
            writeVae(root.resolve("vae"), new Rng(seed + 1));
            writeTextEncoder(root.resolve("text_encoder"), new Rng(seed + 2));
            writeTokenizer(root.resolve("tokenizer"));
        }
        return root;
    }

    static void writeTransformer(Path dir, Rng rng) throws IOException {
        try (TensorArena params = TensorArena.open("tiny-transformer")) {
            Flux2Transformer m = new Flux2Transformer(transformerConfig(), DType.F32, params);
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                int[] s = e.getValue().shape();
                e.getValue().value().copyFrom(e.getKey().endsWith(".scale") ? rng.uniform(0.8, 1.2, s) : rng.normal(0, 0.15, s));
            }
            TransformerFolder.write(m, dir, DType.BF16);
        }
    }

    static void writeVae(Path dir, Rng rng) throws IOException {
        VaeConfig c = vaeConfig();
        VaeWeights w = VaeWeights.random(c, rng);
        Map<String, Tensor> official = new LinkedHashMap<>();
        for (String name : VaeKeys.official(c).keySet()) official.put(name, w.get(name));
        writeVaeFolder(dir, c, official);
    }

    /**
     * Writes a diffusers vae/ folder (AutoencoderKLFlux2 config.json and diffusion_pytorch_model.safetensors) of
     * weights given by official name; the tensors are written in their own dtypes.
     */
    public static void writeVaeFolder(Path dir, VaeConfig c, Map<String, Tensor> official) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : VaeKeys.official(c).keySet()) {
            String d = diffusersVaeName(name, c.levels());
            if (!VaeKeys.fromDiffusers(d, c.levels()).equals(name) || !VaeKeys.isDiffusers(d) && !name.matches("(encoder|decoder)\\.conv_(in|out)\\..*|bn\\..*"))
                throw new IllegalStateException("diffusers name " + d + " does not map back to " + name);
            Tensor t = official.get(name);
            if (t == null) throw new IllegalArgumentException("no VAE weight '" + name + "' to write");
            // diffusers keeps the mid attention's 1x1 convolutions as Linear weights [C, C]
            if (d.contains(".attentions.") && t.rank() == 4) t = t.reshape(t.size(0), t.size(1));
            out.put(d, t);
        }
        SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), out);
        ObjectNode j = JSON.createObjectNode();
        j.put("_class_name", "AutoencoderKLFlux2");
        j.put("in_channels", 3);
        j.put("out_channels", 3);
        var blocks = j.putArray("block_out_channels");
        var down = j.putArray("down_block_types");
        var up = j.putArray("up_block_types");
        for (int m : c.chMult()) {
            blocks.add(c.ch() * m);
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        }
        j.put("layers_per_block", c.numResBlocks());
        j.put("latent_channels", c.zChannels());
        j.put("norm_num_groups", c.groups());
        j.put("act_fn", "silu");
        j.put("use_quant_conv", c.quantConv());
        j.put("use_post_quant_conv", c.quantConv());
        j.put("mid_block_add_attention", c.midAttention());
        j.put("batch_norm_eps", c.bnEps());
        j.putArray("patch_size").add(c.patch()).add(c.patch());
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), j);
    }

    /** The diffusers (AutoencoderKLFlux2) name of an official VAE weight name. */
    static String diffusersVaeName(String o, int levels) {
        java.util.regex.Matcher m;
        if (o.startsWith("encoder.quant_conv.")) return o.substring("encoder.".length());
        if (o.startsWith("decoder.post_quant_conv.")) return o.substring("decoder.".length());
        if ((m = java.util.regex.Pattern.compile("encoder\\.down\\.(\\d+)\\.block\\.(\\d+)\\.(.+)").matcher(o)).matches())
            return "encoder.down_blocks." + m.group(1) + ".resnets." + m.group(2) + "." + resnetPart(m.group(3));
        if ((m = java.util.regex.Pattern.compile("encoder\\.down\\.(\\d+)\\.downsample\\.conv\\.(.+)").matcher(o)).matches())
            return "encoder.down_blocks." + m.group(1) + ".downsamplers.0.conv." + m.group(2);
        if ((m = java.util.regex.Pattern.compile("decoder\\.up\\.(\\d+)\\.block\\.(\\d+)\\.(.+)").matcher(o)).matches())
            return "decoder.up_blocks." + (levels - 1 - Integer.parseInt(m.group(1))) + ".resnets." + m.group(2) + "." + resnetPart(m.group(3));
        if ((m = java.util.regex.Pattern.compile("decoder\\.up\\.(\\d+)\\.upsample\\.conv\\.(.+)").matcher(o)).matches())
            return "decoder.up_blocks." + (levels - 1 - Integer.parseInt(m.group(1))) + ".upsamplers.0.conv." + m.group(2);
        if ((m = java.util.regex.Pattern.compile("(encoder|decoder)\\.mid\\.block_(\\d+)\\.(.+)").matcher(o)).matches())
            return m.group(1) + ".mid_block.resnets." + (Integer.parseInt(m.group(2)) - 1) + "." + resnetPart(m.group(3));
        if ((m = java.util.regex.Pattern.compile("(encoder|decoder)\\.mid\\.attn_1\\.(norm|q|k|v|proj_out)\\.(.+)").matcher(o)).matches()) {
            String part = switch (m.group(2)) {
                case "norm" -> "group_norm";
                case "proj_out" -> "to_out.0";
                default -> "to_" + m.group(2);
            };
            return m.group(1) + ".mid_block.attentions.0." + part + "." + m.group(3);
        }
        if ((m = java.util.regex.Pattern.compile("(encoder|decoder)\\.norm_out\\.(.+)").matcher(o)).matches())
            return m.group(1) + ".conv_norm_out." + m.group(2);
        return o;
    }

    private static String resnetPart(String p) {
        return p.startsWith("nin_shortcut.") ? "conv_shortcut." + p.substring("nin_shortcut.".length()) : p;
    }

    /** Tekken's pre-tokenizer pattern (words with their leading space, digits, punctuation runs, whitespace). */
    static final String PATTERN = "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * Byte sequences after the 256 single bytes: every prefix (2 bytes and longer) of each pre-token of FLUX.2's
     * system message and of the shapes captions, so that byte-pair merging turns each such word into one token.
     * The new word of the LoRA example is left out: it stays a run of byte tokens the model has never seen.
     */
    static List<byte[]> merges() {
        List<String> texts = new ArrayList<>();
        texts.add(FluxPromptTokenizer.SYSTEM_MESSAGE);
        for (Scene p : Shapes.pairs()) {
            texts.add(Shapes.caption(p));
            texts.add(Shapes.caption(new Scene(p.shape(), p.color(), p.cx(), p.cy(), p.radius(), ShapeColor.GREEN)));
        }
        Set<String> seen = new LinkedHashSet<>();
        List<byte[]> out = new ArrayList<>();
        Matcher m = Pattern.compile(PATTERN).matcher("");
        for (String t : texts) {
            m.reset(t);
            while (m.find()) {
                byte[] w = m.group().getBytes(StandardCharsets.UTF_8);
                for (int n = 2; n <= w.length; n++) {
                    byte[] prefix = Arrays.copyOf(w, n);
                    if (seen.add(Base64.getEncoder().encodeToString(prefix))) out.add(prefix);
                }
            }
        }
        return out;
    }

    /** Vocabulary: 20 control tokens, the 256 single bytes, then the {@link #merges()}. */
    public static final int VOCAB = 20 + 256 + merges().size();

    /** Prompt length (tokenizer_config.json model_max_length): FLUX.2's 512 is mostly padding for prompts this short. */
    public static final int PROMPT_LENGTH = 48;

    /** Writes the frozen, seeded Mistral text encoder folder (config.json and model.safetensors). */
    public static void writeTextEncoder(Path dir, Rng rng) throws IOException {
        Files.createDirectories(dir);
        int hidden = 16, layers = 4, heads = 2, kv = 1, headDim = 8, inter = 32;
        Map<String, Tensor> out = new LinkedHashMap<>();
        String p = "language_model.model.";
        out.put(p + "embed_tokens.weight", rng.normal(0, 1, VOCAB, hidden).to(DType.BF16));
        for (int i = 0; i < layers; i++) {
            String l = p + "layers." + i + ".";
            out.put(l + "input_layernorm.weight", rng.uniform(0.5, 1.5, hidden).to(DType.BF16));
            out.put(l + "self_attn.q_proj.weight", rng.normal(0, 0.2, heads * headDim, hidden).to(DType.BF16));
            out.put(l + "self_attn.k_proj.weight", rng.normal(0, 0.2, kv * headDim, hidden).to(DType.BF16));
            out.put(l + "self_attn.v_proj.weight", rng.normal(0, 0.2, kv * headDim, hidden).to(DType.BF16));
            out.put(l + "self_attn.o_proj.weight", rng.normal(0, 0.2, hidden, heads * headDim).to(DType.BF16));
            out.put(l + "post_attention_layernorm.weight", rng.uniform(0.5, 1.5, hidden).to(DType.BF16));
            out.put(l + "mlp.gate_proj.weight", rng.normal(0, 0.2, inter, hidden).to(DType.BF16));
            out.put(l + "mlp.up_proj.weight", rng.normal(0, 0.2, inter, hidden).to(DType.BF16));
            out.put(l + "mlp.down_proj.weight", rng.normal(0, 0.2, hidden, inter).to(DType.BF16));
        }
        out.put(p + "norm.weight", rng.uniform(0.5, 1.5, hidden).to(DType.BF16));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), out);
        ObjectNode j = JSON.createObjectNode();
        j.putArray("architectures").add("Mistral3ForConditionalGeneration");
        j.put("model_type", "mistral3");
        ObjectNode t = j.putObject("text_config");
        t.put("model_type", "mistral");
        t.put("vocab_size", VOCAB);
        t.put("hidden_size", hidden);
        t.put("num_hidden_layers", layers);
        t.put("num_attention_heads", heads);
        t.put("num_key_value_heads", kv);
        t.put("head_dim", headDim);
        t.put("intermediate_size", inter);
        t.put("rms_norm_eps", 1e-5);
        t.put("rope_theta", 1e9);
        t.put("pad_token_id", 11);
        t.putArray("output_layers").add(1).add(2).add(3);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), j);
    }

    /** Writes the tokenizer folder: tekken.json and tokenizer_config.json (the prompt length). */
    public static void writeTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> ranks = new ArrayList<>();
        for (int b = 0; b < 256; b++) ranks.add(Base64.getEncoder().encodeToString(new byte[]{(byte) b}));
        for (byte[] w : merges()) ranks.add(Base64.getEncoder().encodeToString(w));
        ObjectNode j = JSON.createObjectNode();
        ObjectNode cfg = j.putObject("config");
        cfg.put("pattern", PATTERN);
        cfg.put("default_vocab_size", VOCAB);
        cfg.put("default_num_special_tokens", 20);
        cfg.put("version", "v7");
        j.put("bpe_ranks", "! 0 " + String.join(" ", ranks));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tekken.json").toFile(), j);
        ObjectNode tc = JSON.createObjectNode();
        tc.put("model_max_length", PROMPT_LENGTH);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(ModelParts.TOKENIZER_CONFIG).toFile(), tc);
    }
}
