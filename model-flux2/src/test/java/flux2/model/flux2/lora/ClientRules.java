package flux2.model.flux2.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.model.flux2.Flux2Config;
import flux2.tensor.DType;
import flux2.tensor.io.Checkpoints;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The key rules by which ComfyUI and diffusers load a FLUX.2 LoRA file, stated as data: ComfyUI's
 * {@code comfy/lora.py} (model_lora_keys_unet, the FLUX.1 diffusers table of {@code comfy/utils.flux_to_diffusers} it
 * also applies to FLUX.2) with {@code comfy/weight_adapter/lora.py}, and diffusers' {@code Flux2LoraLoaderMixin}
 * with its converters {@code _convert_non_diffusers_flux2_lora_to_diffusers} (official names) and
 * {@code _convert_kohya_flux2_lora_to_diffusers}, then PEFT's scale from the {@code lora_adapter_metadata}.
 * Each client turns a file into patches: low-rank updates of row blocks of modules, at a scale.
 */
final class ClientRules {
    private ClientRules() {}

    /** A tensor of a file: values (F32) and shape. */
    record T(float[] v, int[] shape) {}

    /** A low-rank update of rows {@code [row, row + b rows)} of {@code module}: scale * B A. */
    record Patch(String module, int row, T a, T b, double scale) {}

    /** What a client made of a file: the patches, the keys it left unused, and its own warnings. */
    record Loaded(List<Patch> patches, List<String> notLoaded, double dropout) {}

    /** The client refused the file, as diffusers raises ValueError. */
    static final class Refused extends RuntimeException {
        Refused(String m) { super(m); }
    }

    static Map<String, T> tensors(Path file) throws IOException {
        Map<String, T> out = new LinkedHashMap<>();
        try (TensorSource src = Checkpoints.open(file)) {
            for (String n : src.names()) {
                long[] s = src.info(n).shape();
                int[] shape = new int[s.length];
                for (int i = 0; i < s.length; i++) shape[i] = (int) s[i];
                out.put(n, new T(src.tensor(n).to(DType.F32).toFloatArray(), shape));
            }
        }
        return out;
    }

    static Map<String, String> metadata(Path file) throws IOException {
        try (TensorSource src = Checkpoints.open(file)) {
            return src.metadata();
        }
    }

    // ---------------------------------------------------------------- the modules of FLUX.2

    /** Official FLUX.2 Linear modules with their [out, in] shapes. */
    static Map<String, int[]> officialShapes(Flux2Config c) {
        int h = c.hiddenSize(), m = c.mlpHidden();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("img_in", new int[]{h, c.inChannels()});
        s.put("txt_in", new int[]{h, c.contextInDim()});
        s.put("time_in.in_layer", new int[]{h, 256});
        s.put("time_in.out_layer", new int[]{h, h});
        s.put("guidance_in.in_layer", new int[]{h, 256});
        s.put("guidance_in.out_layer", new int[]{h, h});
        s.put("double_stream_modulation_img.lin", new int[]{6 * h, h});
        s.put("double_stream_modulation_txt.lin", new int[]{6 * h, h});
        s.put("single_stream_modulation.lin", new int[]{3 * h, h});
        for (int i = 0; i < c.depth(); i++)
            for (String st : List.of("img", "txt")) {
                String p = "double_blocks." + i + "." + st;
                s.put(p + "_attn.qkv", new int[]{3 * h, h});
                s.put(p + "_attn.proj", new int[]{h, h});
                s.put(p + "_mlp.0", new int[]{2 * m, h});
                s.put(p + "_mlp.2", new int[]{h, m});
            }
        for (int i = 0; i < c.depthSingleBlocks(); i++) {
            s.put("single_blocks." + i + ".linear1", new int[]{3 * h + 2 * m, h});
            s.put("single_blocks." + i + ".linear2", new int[]{h, h + m});
        }
        s.put("final_layer.linear", new int[]{c.inChannels(), h});
        s.put("final_layer.adaLN_modulation.1", new int[]{2 * h, h});
        return s;
    }

    /** Row blocks of an official module in the diffusers Flux2Transformer2DModel: module, first row, rows. */
    record Rows(String module, int row, int rows) {}

    /**
     * Where each official module's rows live in diffusers' Flux2Transformer2DModel (its Linear modules), as the
     * official-name converter maps them: q/k/v split in three, everything else whole.
     */
    static Map<String, List<Rows>> diffusersModules(Flux2Config c) {
        int h = c.hiddenSize();
        Map<String, List<Rows>> d = new LinkedHashMap<>();
        Map<String, int[]> shapes = officialShapes(c);
        Map<String, String> top = Map.ofEntries(Map.entry("img_in", "x_embedder"), Map.entry("txt_in", "context_embedder"),
                Map.entry("time_in.in_layer", "time_guidance_embed.timestep_embedder.linear_1"),
                Map.entry("time_in.out_layer", "time_guidance_embed.timestep_embedder.linear_2"),
                Map.entry("guidance_in.in_layer", "time_guidance_embed.guidance_embedder.linear_1"),
                Map.entry("guidance_in.out_layer", "time_guidance_embed.guidance_embedder.linear_2"),
                Map.entry("final_layer.linear", "proj_out"), Map.entry("final_layer.adaLN_modulation.1", "norm_out.linear"),
                Map.entry("single_stream_modulation.lin", "single_stream_modulation.linear"),
                Map.entry("double_stream_modulation_img.lin", "double_stream_modulation_img.linear"),
                Map.entry("double_stream_modulation_txt.lin", "double_stream_modulation_txt.linear"));
        top.forEach((o, m) -> d.put(o, List.of(new Rows(m, 0, shapes.get(o)[0]))));
        for (int i = 0; i < c.depth(); i++) {
            String o = "double_blocks." + i + ".", t = "transformer_blocks." + i + ".";
            d.put(o + "img_attn.qkv", List.of(new Rows(t + "attn.to_q", 0, h), new Rows(t + "attn.to_k", h, h), new Rows(t + "attn.to_v", 2 * h, h)));
            d.put(o + "txt_attn.qkv", List.of(new Rows(t + "attn.add_q_proj", 0, h), new Rows(t + "attn.add_k_proj", h, h), new Rows(t + "attn.add_v_proj", 2 * h, h)));
            Map<String, String> rest = Map.of("img_attn.proj", "attn.to_out.0", "txt_attn.proj", "attn.to_add_out", "img_mlp.0", "ff.linear_in",
                    "img_mlp.2", "ff.linear_out", "txt_mlp.0", "ff_context.linear_in", "txt_mlp.2", "ff_context.linear_out");
            rest.forEach((oo, m) -> d.put(o + oo, List.of(new Rows(t + m, 0, shapes.get(o + oo)[0]))));
        }
        for (int i = 0; i < c.depthSingleBlocks(); i++) {
            String o = "single_blocks." + i + ".", t = "single_transformer_blocks." + i + ".attn.";
            d.put(o + "linear1", List.of(new Rows(t + "to_qkv_mlp_proj", 0, shapes.get(o + "linear1")[0])));
            d.put(o + "linear2", List.of(new Rows(t + "to_out", 0, c.hiddenSize())));
        }
        return d;
    }

    /** The Linear module names of diffusers' Flux2Transformer2DModel. */
    static Set<String> diffusersModuleNames(Flux2Config c) {
        Set<String> s = new LinkedHashSet<>();
        diffusersModules(c).values().forEach(l -> l.forEach(r -> s.add(r.module())));
        return s;
    }

    // ---------------------------------------------------------------- ComfyUI

    /** A ComfyUI key_map target: an official weight and the rows a patch goes to (count -1: the whole weight). */
    record Target(String official, int row) {}

    /**
     * ComfyUI's key_map for a FLUX.2 model: every official weight as {@code diffusion_model.<name>} and
     * {@code lora_unet_<name with '_'>}, plus {@code transformer.<FLUX.1 diffusers name>} from the FLUX.1 table, which
     * has no ff.linear_in/out, to_qkv_mlp_proj, attn.to_out or time_guidance_embed names.
     */
    static Map<String, Target> comfyKeyMap(Flux2Config c) {
        Map<String, Target> km = new LinkedHashMap<>();
        for (String o : officialShapes(c).keySet()) {
            km.put("diffusion_model." + o, new Target(o, 0));
            km.put("lora_unet_" + o.replace('.', '_'), new Target(o, 0));
            km.put("lora_prior_unet_" + o.replace('.', '_'), new Target(o, 0));
        }
        int h = c.hiddenSize();
        for (int i = 0; i < c.depth(); i++) {
            String t = "transformer.transformer_blocks." + i + ".", o = "double_blocks." + i + ".";
            String[] img = {"to_q", "to_k", "to_v"}, txt = {"add_q_proj", "add_k_proj", "add_v_proj"};
            for (int j = 0; j < 3; j++) {
                km.put(t + "attn." + img[j], new Target(o + "img_attn.qkv", j * h));
                km.put(t + "attn." + txt[j], new Target(o + "txt_attn.qkv", j * h));
            }
            km.put(t + "attn.to_out.0", new Target(o + "img_attn.proj", 0));
            km.put(t + "attn.to_add_out", new Target(o + "txt_attn.proj", 0));
            km.put(t + "ff.net.0.proj", new Target(o + "img_mlp.0", 0));
            km.put(t + "ff.net.2", new Target(o + "img_mlp.2", 0));
            km.put(t + "ff_context.net.0.proj", new Target(o + "txt_mlp.0", 0));
            km.put(t + "ff_context.net.2", new Target(o + "txt_mlp.2", 0));
        }
        for (int i = 0; i < c.depthSingleBlocks(); i++) {
            String t = "transformer.single_transformer_blocks." + i + ".", o = "single_blocks." + i + ".";
            km.put(t + "attn.to_q", new Target(o + "linear1", 0));
            km.put(t + "attn.to_k", new Target(o + "linear1", h));
            km.put(t + "attn.to_v", new Target(o + "linear1", 2 * h));
            km.put(t + "proj_mlp", new Target(o + "linear1", 3 * h));
            km.put(t + "proj_out", new Target(o + "linear2", 0));
        }
        km.put("transformer.x_embedder", new Target("img_in", 0));
        km.put("transformer.context_embedder", new Target("txt_in", 0));
        km.put("transformer.proj_out", new Target("final_layer.linear", 0));
        km.put("transformer.time_text_embed.timestep_embedder.linear_1", new Target("time_in.in_layer", 0));
        km.put("transformer.time_text_embed.timestep_embedder.linear_2", new Target("time_in.out_layer", 0));
        return km;
    }

    /** LoRAAdapter.load's (up, down) suffix pairs, in its order. */
    static final List<String[]> COMFY_SUFFIXES = List.of(new String[]{".lora_up.weight", ".lora_down.weight"},
            new String[]{"_lora.up.weight", "_lora.down.weight"}, new String[]{".lora_B.weight", ".lora_A.weight"},
            new String[]{".lora.up.weight", ".lora.down.weight"}, new String[]{".lora_B", ".lora_A"},
            new String[]{".lora_linear_layer.up.weight", ".lora_linear_layer.down.weight"},
            new String[]{".lora_B.default.weight", ".lora_A.default.weight"});

    /**
     * ComfyUI's load_lora: for each key_map name, {@code .alpha} (a tensor; metadata is never read) and the first
     * suffix pair present; scale alpha / rank, or 1 without alpha. Keys no name used are "lora key not loaded".
     */
    static Loaded comfyLoad(Map<String, T> file, Flux2Config c) {
        List<Patch> patches = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        comfyKeyMap(c).forEach((x, target) -> {
            T alpha = file.get(x + ".alpha");
            for (String[] s : COMFY_SUFFIXES) {
                T up = file.get(x + s[0]);
                if (up == null) continue;
                T down = file.get(x + s[1]);
                if (alpha != null) used.add(x + ".alpha");
                used.add(x + s[0]);
                used.add(x + s[1]);
                patches.add(new Patch(target.official(), target.row(), down, up, alpha == null ? 1.0 : alpha.v()[0] / down.shape()[0]));
                break;
            }
        });
        List<String> notLoaded = file.keySet().stream().filter(k -> !used.contains(k)).toList();
        return new Loaded(patches, notLoaded, 0);
    }

    // ---------------------------------------------------------------- diffusers

    /** The official-name converter's table: official module -> diffusers module (q/k/v handled apart). */
    private static Map<String, String> aitToolkitTable(Flux2Config c) {
        Map<String, String> t = new LinkedHashMap<>();
        diffusersModules(c).forEach((o, rows) -> {
            if (rows.size() == 1) t.put(o, rows.get(0).module());
        });
        return t;
    }

    /** The kohya converter's table: the same block modules, but of the top-level ones only these five. */
    private static final Set<String> KOHYA_TOP = Set.of("img_in", "txt_in", "time_in.in_layer", "time_in.out_layer", "final_layer.linear");

    /**
     * Flux2LoraLoaderMixin.lora_state_dict + load_lora_adapter: DoRA scales dropped, kohya keys converted (alpha
     * folded into A and B), otherwise {@code diffusion_model.} keys converted with no leftover allowed (ValueError),
     * then every key must name a module of the model, with PEFT's scale from the metadata (alpha = rank without).
     */
    static Loaded diffusersLoad(Map<String, T> in, Map<String, String> metadata, Flux2Config c) throws IOException {
        Map<String, T> sd = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            if (!k.contains("dora_scale")) sd.put(k, v);
        });
        List<String> notLoaded = new ArrayList<>();
        Map<String, T> converted = new LinkedHashMap<>();
        boolean kohya = sd.keySet().stream().anyMatch(k -> k.contains(".lora_down.weight"));
        Set<String> names = diffusersModuleNames(c);
        List<Patch> patches = new ArrayList<>();
        if (kohya) {
            // the kohya converter scales A and B by alpha / rank itself: PEFT then uses scale 1
            Map<String, List<Rows>> mods = diffusersModules(c);
            for (var e : mods.entrySet()) {
                String o = e.getKey();
                if (!o.startsWith("double_blocks.") && !o.startsWith("single_blocks.") && !KOHYA_TOP.contains(o)) continue;
                String k = "lora_unet_" + o.replace('.', '_');
                T down = sd.remove(k + ".lora_down.weight");
                if (down == null) continue;
                T up = sd.remove(k + ".lora_up.weight");
                T alpha = sd.remove(k + ".alpha");
                double scale = (alpha == null ? down.shape()[0] : alpha.v()[0]) / down.shape()[0];
                for (Rows r : e.getValue()) patches.add(new Patch(r.module(), 0, down, rows(up, r.row(), r.rows()), scale));
            }
            notLoaded.addAll(sd.keySet()); // "Unsupported keys for Kohya Flux2 LoRA conversion" (a warning)
            return new Loaded(patches, notLoaded, 0);
        }
        if (sd.keySet().stream().anyMatch(k -> k.startsWith("diffusion_model."))) {
            Map<String, T> orig = new LinkedHashMap<>();
            // the prefix is cut from every key, whether it has it or not
            sd.forEach((k, v) -> orig.put(k.substring("diffusion_model.".length()).replace("lora_down", "lora_A").replace("lora_up", "lora_B"), v));
            for (String k : List.copyOf(orig.keySet()))
                for (String p : List.of("single_transformer_blocks.", "transformer_blocks."))
                    if (k.startsWith(p)) converted.put(k, orig.remove(k));
            Map<String, List<Rows>> mods = diffusersModules(c);
            for (var e : mods.entrySet())
                for (String ab : List.of("lora_A", "lora_B")) {
                    T t = orig.remove(e.getKey() + "." + ab + ".weight");
                    if (t == null) continue;
                    for (Rows r : e.getValue())
                        converted.put(r.module() + "." + ab + ".weight", ab.equals("lora_A") || e.getValue().size() == 1 ? t : rows(t, r.row(), r.rows()));
                }
            if (!orig.isEmpty()) throw new Refused("ValueError: `original_state_dict` should be empty at this point but has " + orig.keySet());
            Map<String, T> prefixed = new LinkedHashMap<>();
            converted.forEach((k, v) -> prefixed.put("transformer." + k, v));
            sd.clear();
            sd.putAll(prefixed);
        }
        for (String k : sd.keySet()) if (!k.contains("lora")) throw new Refused("ValueError: Invalid LoRA checkpoint: " + k);
        // load_lora_adapter: the transformer's keys, by module
        Peft peft = Peft.of(metadata.get("lora_adapter_metadata"));
        Map<String, T[]> byModule = new LinkedHashMap<>();
        for (var e : sd.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith("transformer.")) {
                notLoaded.add(k);
                continue;
            }
            int slot = k.endsWith(".lora_A.weight") ? 0 : k.endsWith(".lora_B.weight") ? 1 : -1;
            if (slot < 0) throw new Refused("not a LoRA weight: " + k);
            String module = k.substring("transformer.".length(), k.length() - ".lora_A.weight".length());
            if (!names.contains(module)) throw new Refused("no module " + module + " in Flux2Transformer2DModel");
            byModule.computeIfAbsent(module, m -> new T[2])[slot] = e.getValue();
        }
        byModule.forEach((m, ab) -> {
            if (ab[0] == null || ab[1] == null) throw new Refused("half an adapter: " + m);
            int r = ab[0].shape()[0];
            patches.add(new Patch(m, 0, ab[0], ab[1], (peft == null ? r : peft.alpha(m)) / peft(peft, m, r)));
        });
        return new Loaded(patches, notLoaded, peft == null ? 0 : peft.dropout);
    }

    private static double peft(Peft p, String module, int fileRank) {
        if (p == null) return fileRank;
        int r = p.rank(module);
        if (r != fileRank) throw new Refused("size mismatch for " + module + ": rank " + fileRank + " in the file, " + r + " in the config");
        return r;
    }

    /** PEFT's LoraConfig from the metadata: r, lora_alpha and their patterns (a key matches a module's name or suffix). */
    record Peft(int r, double loraAlpha, Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, double dropout) {
        static Peft of(String json) throws IOException {
            if (json == null) return null;
            JsonNode n = new ObjectMapper().readTree(json);
            Map<String, Integer> rp = new LinkedHashMap<>();
            Map<String, Double> ap = new LinkedHashMap<>();
            n.path("transformer.rank_pattern").fields().forEachRemaining(e -> rp.put(e.getKey(), e.getValue().asInt()));
            n.path("transformer.alpha_pattern").fields().forEachRemaining(e -> ap.put(e.getKey(), e.getValue().asDouble()));
            return new Peft(n.get("transformer.r").asInt(), n.get("transformer.lora_alpha").asDouble(), rp, ap, n.path("transformer.lora_dropout").asDouble());
        }

        int rank(String module) {
            for (var e : rankPattern.entrySet()) if (module.equals(e.getKey()) || module.endsWith("." + e.getKey())) return e.getValue();
            return r;
        }

        double alpha(String module) {
            for (var e : alphaPattern.entrySet()) if (module.equals(e.getKey()) || module.endsWith("." + e.getKey())) return e.getValue();
            return loraAlpha;
        }
    }

    /** Rows {@code [from, from + n)} of a 2-d tensor. */
    static T rows(T t, int from, int n) {
        int cols = t.shape()[1];
        float[] v = new float[n * cols];
        System.arraycopy(t.v(), from * cols, v, 0, n * cols);
        return new T(v, new int[]{n, cols});
    }

    /** scale * B (A x): a patch's output for input x, as doubles. */
    static double[] apply(Patch p, double[] x) {
        int r = p.a().shape()[0], in = p.a().shape()[1], out = p.b().shape()[0];
        if (x.length != in) throw new AssertionError(p.module() + ": A has " + in + " inputs, the module " + x.length);
        double[] ax = new double[r];
        for (int i = 0; i < r; i++) {
            double s = 0;
            for (int j = 0; j < in; j++) s += p.a().v()[i * in + j] * x[j];
            ax[i] = s;
        }
        double[] y = new double[out];
        for (int i = 0; i < out; i++) {
            double s = 0;
            for (int j = 0; j < r; j++) s += p.b().v()[i * r + j] * ax[j];
            y[i] = s * p.scale();
        }
        return y;
    }
}
