package flux2.model.flux2.lora;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@link LoraWeights} as a safetensors LoRA file, atomically. Diffusers layout: a fused qkv adapter becomes
 * three q/k/v adapters sharing A with B split in its three row blocks (exact: same outputs); an adapter whose B is
 * block-diagonal (q/k/v adapters merged on load) is split back into the smaller adapters it was made of; the PEFT
 * metadata describes the adapter for inference (lora_dropout 0, whatever training used). ComfyUI layout: official
 * names, fused modules kept fused, {@code .alpha} scalars or, written {@link Options#universal universal}, the scale
 * baked into B and no {@code .alpha} (the form ComfyUI and diffusers both load fully). Kohya layout: musubi-tuner's
 * {@code lora_unet_} names with {@code lora_down} / {@code lora_up} and {@code .alpha}.
 */
public final class LoraWriter {
    private LoraWriter() {}

    /**
     * How to write: layout, tensor dtype (F32, BF16 or F16), whether to fold alpha / rank into B (then alpha = rank,
     * so that loaders that ignore alpha apply the same strength), whether alphas are written (as {@code .alpha} scalars
     * in the ComfyUI and kohya layouts, in the PEFT metadata of a diffusers file; leaving them out bakes the scale),
     * and extra metadata (modelspec.*, global_step...).
     */
    public record Options(LoraFormat format, DType dtype, boolean bakeScale, boolean alphaKeys, Map<String, String> metadata) {
        public Options {
            if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16)
                throw new IllegalArgumentException("LoRA files are written in F32, BF16 or F16, not " + dtype);
            if (format == LoraFormat.DIFFUSERS && !alphaKeys)
                throw new IllegalArgumentException("a diffusers LoRA file has no .alpha tensors to leave out: its alphas are in the PEFT metadata");
            // without .alpha every loader takes alpha = rank: only a baked scale keeps the strength
            if (!alphaKeys) bakeScale = true;
            metadata = Map.copyOf(metadata);
        }

        /** The trainer's default: {@code format} with exact alphas (PEFT metadata or .alpha scalars). */
        public static Options of(LoraFormat format, DType dtype) {
            return new Options(format, dtype, false, true, Map.of());
        }

        /**
         * Official names under {@code diffusion_model.}, scale baked into B, no {@code .alpha} and no PEFT metadata:
         * ComfyUI reads it as its own format and diffusers converts it as an official (ai-toolkit) FLUX.2 LoRA, both
         * at the trained strength.
         */
        public static Options universal(DType dtype) { return new Options(LoraFormat.COMFYUI, dtype, true, false, Map.of()); }

        public Options withMetadata(Map<String, String> m) { return new Options(format, dtype, bakeScale, alphaKeys, m); }

        public Options withBakeScale(boolean on) { return new Options(format, dtype, on, alphaKeys, metadata); }

        /** The same options without {@code .alpha} scalars (and so with the scale baked). */
        public Options withoutAlpha() { return new Options(format, dtype, true, false, metadata); }

        /** The same options in another dtype. */
        public Options withDtype(DType dt) { return new Options(format, dt, bakeScale, alphaKeys, metadata); }
    }

    /** SimpleTuner's descriptive modelspec entries (null values are left out). */
    public static Map<String, String> modelSpec(String architecture, String title, String resolution, String description, Long globalStep) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("modelspec.sai_model_spec", "1.0.1");
        m.put("modelspec.architecture", architecture + "/lora");
        m.put("modelspec.implementation", "diffusers");
        if (title != null) m.put("modelspec.title", title);
        if (resolution != null) m.put("modelspec.resolution", resolution);
        if (description != null) m.put("modelspec.description", description);
        if (globalStep != null) m.put("global_step", Long.toString(globalStep));
        return m;
    }

    /** Writes {@code weights} to {@code file} (replaced atomically). */
    public static void write(Path file, LoraWeights weights, Options opt) throws IOException {
        if (weights.adapters().isEmpty()) throw new IllegalArgumentException("no LoRA adapters to write to " + file);
        try (TensorArena arena = TensorArena.open("lora-write")) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.putAll(weights.metadata());
            meta.putAll(opt.metadata());
            Map<String, PeftMetadata.Entry> peft = new LinkedHashMap<>();
            for (var e : weights.adapters().entrySet()) {
                LoraWeights.Adapter ad = opt.bakeScale() ? baked(e.getValue()) : e.getValue();
                switch (opt.format()) {
                    case COMFYUI -> put(tensors, "diffusion_model." + e.getKey(), ".lora_A.weight", ".lora_B.weight", ad, opt);
                    case KOHYA -> put(tensors, KOHYA_PREFIX + LoraNames.toKohya(e.getKey()), ".lora_down.weight", ".lora_up.weight", ad, opt);
                    case DIFFUSERS -> {
                        List<String> modules = LoraNames.toDiffusers(e.getKey());
                        List<LoraWeights.Adapter> parts = split(ad, modules.size(), LoraNames.swapsHalves(e.getKey()));
                        for (int i = 0; i < modules.size(); i++) {
                            LoraWeights.Adapter part = parts.get(i);
                            if (part == null) continue; // a q/k/v part that was never adapted
                            String p = "transformer." + modules.get(i);
                            tensors.put(p + ".lora_A.weight", part.a().to(opt.dtype()));
                            tensors.put(p + ".lora_B.weight", part.b().to(opt.dtype()));
                            peft.put(modules.get(i), new PeftMetadata.Entry(part.rank(), part.alpha()));
                        }
                    }
                }
            }
            // dropout is a training setting: at inference an adapter has none (PEFT would apply it until .eval())
            if (opt.format() == LoraFormat.DIFFUSERS) meta.put(PeftMetadata.KEY, PeftMetadata.write(peft, 0, weights.init()));
            SafetensorsWriter.write(file, tensors, meta);
        }
    }

    private static final String KOHYA_PREFIX = "lora_unet_";

    /** One fused adapter under {@code name}: down (A), up (B) and, when asked for, its alpha as a scalar. */
    private static void put(Map<String, Tensor> tensors, String name, String down, String up, LoraWeights.Adapter ad, Options opt) {
        tensors.put(name + down, ad.a().to(opt.dtype()));
        tensors.put(name + up, ad.b().to(opt.dtype()));
        if (opt.alphaKeys()) tensors.put(name + ".alpha", Tensor.scalar((float) ad.alpha()));
    }

    /** B scaled by alpha / rank, alpha = rank: the same outputs for loaders that ignore alpha. */
    private static LoraWeights.Adapter baked(LoraWeights.Adapter ad) {
        if (ad.alpha() == ad.rank()) return ad;
        return new LoraWeights.Adapter(ad.a(), ad.b().to(DType.F32).mul(ad.scale()), ad.rank());
    }

    /** The diffusers adapters of one official adapter: itself, its halves swapped, or its q/k/v row blocks. */
    private static List<LoraWeights.Adapter> split(LoraWeights.Adapter ad, int count, boolean swap) {
        if (count == 1 && !swap) return List.of(ad);
        int out = ad.out() / count;
        if (swap) {
            Tensor b = Tensor.zeros(ad.b().dtype(), ad.b().shape());
            b.narrow(0, 0, out / 2).copyFrom(ad.b().narrow(0, out / 2, out / 2));
            b.narrow(0, out / 2, out / 2).copyFrom(ad.b().narrow(0, 0, out / 2));
            return List.of(new LoraWeights.Adapter(ad.a(), b, ad.alpha()));
        }
        // q/k/v adapters merged on load (block-diagonal B: each rank column used by one row block only) split back
        // into their own smaller adapters; a trained fused adapter keeps A shared and B split by rows
        List<List<Integer>> cols = new ArrayList<>();
        boolean[] used = new boolean[ad.rank()];
        boolean disjoint = true;
        for (int i = 0; i < count; i++) {
            List<Integer> c = new ArrayList<>();
            Tensor rows = ad.b().narrow(0, i * out, out);
            for (int j = 0; j < ad.rank(); j++)
                if (!isZero(rows.narrow(1, j, 1))) {
                    c.add(j);
                    disjoint &= !used[j];
                    used[j] = true;
                }
            cols.add(c);
        }
        for (boolean u : used) disjoint &= u;
        List<LoraWeights.Adapter> parts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Tensor rows = ad.b().narrow(0, i * out, out);
            if (!disjoint) {
                parts.add(new LoraWeights.Adapter(ad.a(), rows, ad.alpha()));
                continue;
            }
            List<Integer> c = cols.get(i);
            if (c.isEmpty()) {
                parts.add(null);
                continue;
            }
            Tensor a = Tensor.zeros(DType.F32, c.size(), ad.in()), b = Tensor.zeros(DType.F32, out, c.size());
            for (int j = 0; j < c.size(); j++) {
                a.narrow(0, j, 1).copyFrom(ad.a().narrow(0, c.get(j), 1));
                b.narrow(1, j, 1).copyFrom(rows.narrow(1, c.get(j), 1));
            }
            // the part keeps the fused scale alpha / rank
            parts.add(new LoraWeights.Adapter(a, b, ad.scale() * c.size()));
        }
        return parts;
    }

    private static boolean isZero(Tensor t) {
        for (float v : t.contiguous().toFloatArray()) if (v != 0) return false;
        return true;
    }
}
