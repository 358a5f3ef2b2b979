package flux2.trainer.sample;

import flux2.model.flux2.lora.LoraFiles;
import flux2.model.flux2.lora.LoraReader;
import flux2.model.flux2.lora.LoraWeights;
import flux2.model.image.ImageFiles;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.config.Limits;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.models.ModelParts;
import flux2.trainer.train.Generator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Text-to-image with a base model and optional LoRA files, loaded once for many images: the prompts are encoded
 * first and the text encoder closed (so that it and the transformer are never in memory together), then every
 * image of a (prompt, seed) pair is generated with noise from {@code new Rng(seed)}.
 */
public final class ImageSampler implements AutoCloseable {
    /**
     * Image size in pixels, Euler steps, embedded guidance, and classifier-free guidance: guidanceReal above 1 guides
     * away from negativePrompt (which must be among the opened prompts) from step cfgFromStep on.
     */
    public record Settings(int width, int height, int steps, double guidance, double guidanceReal, String negativePrompt, int cfgFromStep) {
        public Settings {
            if (width % 16 != 0 || height % 16 != 0 || width <= 0 || height <= 0 || width > Limits.MAX_EDGE || height > Limits.MAX_EDGE)
                throw new IllegalArgumentException("width and height must be multiples of 16 from 16 to " + Limits.MAX_EDGE + ", got " + width + "x" + height);
            if (steps < 1 || steps > Limits.MAX_SAMPLING_STEPS)
                throw new IllegalArgumentException("steps must be from 1 to " + Limits.MAX_SAMPLING_STEPS + ", got " + steps);
            if (!Double.isFinite(guidance)) throw new IllegalArgumentException("the guidance must be a finite number, got " + guidance);
            if (!(guidanceReal >= 0) || !Double.isFinite(guidanceReal))
                throw new IllegalArgumentException("the classifier-free guidance scale must be a finite number of at least 0, got " + guidanceReal);
            if (cfgFromStep < 0) throw new IllegalArgumentException("the first classifier-free guidance step must be at least 0, got " + cfgFromStep);
            if (guidanceReal > 1 && negativePrompt == null)
                throw new IllegalArgumentException("classifier-free guidance " + guidanceReal + " needs a negative prompt (\"\" for the empty one)");
        }

        /** Embedded guidance only, one forward per step. */
        public Settings(int width, int height, int steps, double guidance) {
            this(width, height, steps, guidance, 1.0, null, 0);
        }

        /** True when each step also runs the negative prompt. */
        public boolean realCfg() { return guidanceReal > 1; }
    }

    private final TensorArena keep;
    private final Map<String, Tensor> contexts;
    private final ModelParts.Transformer transformer;
    private final AutoEncoder vae;
    private final TensorArena loraArena;
    private final Generator generator;

    private ImageSampler(TensorArena keep, Map<String, Tensor> contexts, ModelParts.Transformer transformer, AutoEncoder vae, TensorArena loraArena) {
        this.keep = keep;
        this.contexts = contexts;
        this.transformer = transformer;
        this.vae = vae;
        this.loraArena = loraArena;
        this.generator = new Generator(transformer.model(), vae);
    }

    /** The texts to open a sampler with for {@code prompts} under {@code s}: the prompts, and the negative prompt when guided. */
    public static List<String> texts(List<String> prompts, Settings s) {
        List<String> out = new ArrayList<>(prompts);
        if (s.realCfg()) out.add(s.negativePrompt());
        return out;
    }

    /**
     * Encodes {@code prompts} and loads the model at {@code loc} with {@code loras} (each at {@code loraScale});
     * {@code basePrecision} and {@code textPrecision} quantize the transformer and text encoder as training does
     * ("no_change": as stored).
     */
    public static ImageSampler open(ModelLocation loc, List<String> prompts, List<Path> loras, double loraScale,
                                    String basePrecision, String textPrecision) throws IOException {
        for (Path l : loras) if (!Files.isRegularFile(l)) throw new IllegalArgumentException("LoRA file not found: " + l);
        if (!Double.isFinite(loraScale)) throw new IllegalArgumentException("the LoRA strength must be a finite number, got " + loraScale);
        TensorArena keep = TensorArena.create("sample-prompts");
        ModelParts.Transformer tr = null;
        AutoEncoder vae = null;
        TensorArena loraArena = null;
        try {
            Map<String, Tensor> contexts = new LinkedHashMap<>();
            try (ModelParts.TextEncoder te = ModelParts.textEncoder(loc, textPrecision)) {
                for (String p : prompts) {
                    if (contexts.containsKey(p)) continue;
                    try (var s = keep.enter()) {
                        // rounded to BF16 as the text cache stores them, so that training, validation and sampling see the same prompts
                        contexts.put(p, te.embedder().encode(List.of(p)).promptEmbeds().to(DType.BF16).to(DType.F32));
                    }
                }
            }
            tr = ModelParts.transformer(loc, false, basePrecision);
            vae = ModelParts.vae(loc);
            loraArena = TensorArena.create("sample-lora");
            if (!loras.isEmpty())
                LoraFiles.attach(tr.model(), combined(loras, loraScale, loraArena), 0, 0, loraArena).setTraining(false);
            return new ImageSampler(keep, contexts, tr, vae, loraArena);
        } catch (IOException | RuntimeException e) {
            if (loraArena != null) loraArena.close();
            if (vae != null) vae.close();
            if (tr != null) tr.close();
            keep.close();
            throw e;
        }
    }

    /** The image [1, 3, H, W] in [-1, 1] (current arena) of an encoded prompt and a seed. */
    public Tensor generate(String prompt, long seed, Settings s) {
        Tensor ctx = contexts.get(prompt);
        if (ctx == null) throw new IllegalArgumentException("prompt was not encoded when the sampler was opened: " + prompt);
        Generator.RealCfg cfg = null;
        if (s.realCfg()) {
            Tensor neg = contexts.get(s.negativePrompt());
            if (neg == null) throw new IllegalArgumentException("negative prompt was not encoded when the sampler was opened: " + s.negativePrompt());
            cfg = new Generator.RealCfg(neg, s.guidanceReal(), s.cfgFromStep());
        }
        return generator.generate(ctx, null, null, s.width(), s.height(), s.steps(), s.guidance(), cfg, new Rng(seed));
    }

    /** Generates the image of {@code prompt} and {@code seed} and writes it as a PNG (parent folders created). */
    public Path write(String prompt, long seed, Settings s, Path file) throws IOException {
        try (var a = TensorArena.open("sample-image")) {
            Tensor img = generate(prompt, seed, s);
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            ImageFiles.writePng(img, file);
        }
        return file;
    }

    @Override
    public void close() {
        loraArena.close();
        vae.close();
        transformer.close();
        keep.close();
    }

    /**
     * Several LoRA files as one adapter per module: A stacked, B side by side with each file's alpha / rank and the
     * strength folded in, alpha = total rank, so that the output is exactly the sum of the files' contributions.
     */
    static LoraWeights combined(List<Path> files, double strength, TensorArena arena) throws IOException {
        Map<String, List<LoraWeights.Adapter>> byModule = new LinkedHashMap<>();
        for (Path f : files)
            LoraReader.read(f, arena).adapters().forEach((name, ad) -> byModule.computeIfAbsent(name, k -> new ArrayList<>()).add(ad));
        Map<String, LoraWeights.Adapter> out = new LinkedHashMap<>();
        try (var s = arena.enter()) {
            byModule.forEach((name, list) -> {
                Tensor[] as = new Tensor[list.size()], bs = new Tensor[list.size()];
                int rank = 0;
                for (int i = 0; i < list.size(); i++) {
                    LoraWeights.Adapter ad = list.get(i);
                    as[i] = ad.a().to(DType.F32);
                    bs[i] = ad.b().to(DType.F32).mul(ad.scale() * strength);
                    rank += ad.rank();
                }
                out.put(name, new LoraWeights.Adapter(Layouts.concat(0, as), Layouts.concat(1, bs), rank));
            });
        }
        return new LoraWeights(out, DType.F32, 0, "true", Map.of());
    }
}
