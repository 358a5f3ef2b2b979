package flux2.trainer.train;

import flux2.model.flux2.Flux2Config;
import flux2.model.flux2.Flux2Linears;
import flux2.model.flux2.lora.LoraTargets;
import flux2.model.vae.VaeConfig;
import flux2.quant.Precision;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.config.WeightPrecision;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.ReferenceSet;
import flux2.trainer.data.TrainingData;
import flux2.trainer.models.ModelParts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A pre-flight check of the memory a run needs, made before any model is loaded: a lower bound of what is held at
 * the peak (trained parameters with their gradients and AdamW moments, quantized base weights, the activations of
 * one training step or of one validation image) against the machine's physical memory. The bound leaves out what
 * is uncertain (mapped weights, which the OS pages in and out; caches; the JVM itself), so a refused run surely
 * does not fit, while one that passes still may not. Runs on a GPU device are not checked (device memory is not
 * estimated here).
 */
public final class MemoryCheck {
    private MemoryCheck() {}

    /** F32 value, gradient and AdamW's two moments of each trained parameter. */
    static final int BYTES_PER_TRAINED_PARAM = 16;
    /**
     * F32 values per token and unit of width a transformer block keeps for its backward: a lower bound (a block holds
     * its qkv (3), attention output (1), MLP hidden (2 x 3) and more).
     */
    static final int TRAINING_FLOATS_PER_WIDTH = 16;
    /** F32 values per token and unit of width a block holds at once without gradients (its qkv and MLP hidden). */
    static final int SAMPLING_FLOATS_PER_WIDTH = 8;

    /** One part of an estimate: what it is, its bytes, and what to lower to shrink it. */
    public record Part(String what, long bytes, String lower) {}

    /** The parts of the memory held at the peak. */
    public record Estimate(List<Part> parts) {
        public long total() {
            return parts.stream().mapToLong(Part::bytes).sum();
        }
    }

    /** The model sizes an estimate needs: the transformer's config, pixels per token and prompt tokens. */
    public record ModelShape(Flux2Config transformer, int pixelsPerToken, int promptTokens) {
        /** Read from the model's config files (no weights are opened). */
        public static ModelShape of(ModelLocation loc) throws IOException {
            return new ModelShape(ModelParts.transformerConfig(loc.transformer()), VaeConfig.forCheckpoint(loc.vae()).pixelsPerLatent(),
                    ModelParts.promptLength(loc));
        }

        long tokens(int width, int height) {
            return (long) (width / pixelsPerToken) * (height / pixelsPerToken);
        }
    }

    /**
     * The estimate of training {@code c} with batches of {@code batch} samples of at most {@code imageTokens} image
     * tokens (reference tokens included); validation at the config's resolutions when it has validation prompts.
     */
    public static Estimate training(TrainConfig c, ModelShape m, long imageTokens, int batch) {
        Flux2Config fc = m.transformer();
        Map<String, Flux2Linears.Size> linears = Flux2Linears.of(fc);
        List<Part> parts = new ArrayList<>();
        long linearParams = linears.values().stream().mapToLong(Flux2Linears.Size::params).sum();
        if (c.model().full()) {
            parts.add(new Part(String.format(Locale.ROOT, "transformer weights, gradients and AdamW moments in F32 (%s parameters x %d bytes)",
                    count(linearParams), BYTES_PER_TRAINED_PARAM), linearParams * BYTES_PER_TRAINED_PARAM,
                    "train a LoRA (model_type \"lora\") instead of every weight"));
        } else {
            List<String> targets = c.lora().targetModules() != null ? c.lora().targetModules() : c.lora().targetPreset().targets();
            long loraParams = 0;
            for (String name : LoraTargets.resolve(linears.keySet(), targets)) {
                Flux2Linears.Size s = linears.get(name);
                loraParams += (long) c.lora().rank() * (s.in() + s.out());
            }
            parts.add(new Part(String.format(Locale.ROOT, "LoRA weights, gradients and AdamW moments (%s parameters at rank %d x %d bytes)",
                    count(loraParams), c.lora().rank(), BYTES_PER_TRAINED_PARAM), loraParams * BYTES_PER_TRAINED_PARAM,
                    "lower lora_rank or adapt fewer layers (flux_lora_target, peft_lora_target_modules)"));
            Part q = quantized(c.model().baseModelPrecision(), linearParams);
            if (q != null) parts.add(q);
        }
        long tokens = imageTokens + m.promptTokens();
        int blocks = fc.depth() + fc.depthSingleBlocks();
        boolean ckpt = c.training().gradientCheckpointing();
        // checkpointing keeps each block's input and recomputes one block at a time; otherwise every block keeps all
        long perSample = ckpt ? tokens * fc.hiddenSize() * (blocks + (long) TRAINING_FLOATS_PER_WIDTH)
                : tokens * fc.hiddenSize() * (long) TRAINING_FLOATS_PER_WIDTH * blocks;
        long train = 4 * perSample * batch;
        Part training = new Part(String.format(Locale.ROOT, "training activations (batch %d x %d tokens, gradient checkpointing %s)",
                batch, tokens, ckpt ? "on" : "off"), train,
                "lower train_batch_size or the datasets' resolution" + (ckpt ? "" : ", or turn gradient_checkpointing on"));
        Part validation = null;
        if (!Validator.prompts(c).isEmpty())
            for (TrainConfig.Size s : c.validation().resolutions()) {
                Part p = samplingPart(m, s.width(), s.height(), "lower validation_resolution");
                if (validation == null || p.bytes() > validation.bytes()) validation = p;
            }
        // training steps and validation images take turns: the larger of the two is held at the peak
        parts.add(validation != null && validation.bytes() > training.bytes() ? validation : training);
        return new Estimate(parts);
    }

    /** The estimate of sampling one {@code width} x {@code height} image with base weights in {@code precision}. */
    public static Estimate sampling(ModelShape m, int width, int height, WeightPrecision precision) {
        List<Part> parts = new ArrayList<>();
        long linearParams = Flux2Linears.of(m.transformer()).values().stream().mapToLong(Flux2Linears.Size::params).sum();
        Part q = quantized(precision, linearParams);
        if (q != null) parts.add(q);
        parts.add(samplingPart(m, width, height, "lower --width and --height (or the config's validation_resolution)"));
        return new Estimate(parts);
    }

    private static Part samplingPart(ModelShape m, int width, int height, String lower) {
        long tokens = m.tokens(width, height) + m.promptTokens();
        long block = 4L * tokens * m.transformer().hiddenSize() * SAMPLING_FLOATS_PER_WIDTH;
        long image = 12L * width * height; // the decoded image in F32, three channels
        return new Part(String.format(Locale.ROOT, "sampling a %dx%d image (%d tokens, and the decoded image)", width, height, tokens),
                block + image, lower);
    }

    private static Part quantized(WeightPrecision precision, long linearParams) {
        Precision p = precision.precision();
        if (!p.quantized()) return null;
        long bytes = (long) (linearParams * p.scheme().bytesPerParameter());
        return new Part(String.format(Locale.ROOT, "quantized transformer weights (%s, %s parameters)", precision.configName(), count(linearParams)),
                bytes, "use a smaller quantization (int4) or no quantization, which keeps the weights mapped");
    }

    /** The most image tokens one training sample of {@code data} has, its reference images included. */
    public static long imageTokens(TrainConfig c, TrainingData data, ModelShape m) {
        long most = 0;
        boolean combined = c.conditioning().multidatasetSampling() == TrainConfig.MultidatasetSampling.COMBINED;
        for (var d : data.datasets()) {
            long image = d.entries().stream().mapToLong(e -> tokens(e, m)).max().orElse(0), refs = 0;
            for (ReferenceSet r : data.referencesOf(d.config().id())) {
                long t = r.byImage().values().stream().mapToLong(e -> tokens(e, m)).max().orElse(0);
                refs = combined ? refs + t : Math.max(refs, t);
            }
            most = Math.max(most, image + refs);
        }
        return most;
    }

    private static long tokens(ImageEntry e, ModelShape m) {
        return m.tokens(e.plan().targetWidth(), e.plan().targetHeight());
    }

    /** Refuses {@code e} when it exceeds {@code available} bytes, listing its parts, largest first, with what to lower. */
    public static void require(Estimate e, long available, String what) {
        if (available <= 0 || e.total() <= available) return;
        throw new RunRefused(listed(new StringBuilder(what + " needs at least " + gib(e.total()) + " of memory, more than the " + gib(available)
                + " this machine has (a lower bound; no model was loaded):"), e).toString());
    }

    /**
     * As {@link #require} for {@code ranks} ranks of a data-parallel job on this machine, each holding what {@code e}
     * counts: their sum must fit in the machine's {@code available} bytes.
     */
    public static void requireRanks(Estimate e, int ranks, long available, String what) {
        if (ranks <= 1) {
            require(e, available, what);
            return;
        }
        if (available <= 0 || e.total() * ranks <= available) return;
        StringBuilder sb = new StringBuilder(what + " needs at least " + gib(e.total()) + " of memory on each of the " + ranks
                + " ranks on this machine, " + gib(e.total() * ranks) + " in all, more than the " + gib(available)
                + " this machine has (a lower bound; no model was loaded):");
        listed(sb, e).append("\n  or run fewer ranks on this machine (num_processes, mpirun -np)");
        throw new RunRefused(sb.toString());
    }

    private static StringBuilder listed(StringBuilder sb, Estimate e) {
        e.parts().stream().sorted(Comparator.comparingLong(Part::bytes).reversed())
                .forEach(p -> sb.append("\n  ").append(p.what()).append(": ").append(gib(p.bytes())).append("; ").append(p.lower()));
        return sb;
    }

    /** Checks a training run before its caches are built or its model loaded. */
    public static void beforeTraining(TrainConfig c, TrainingData data) throws IOException {
        beforeTraining(c, data, 1);
    }

    /**
     * As {@link #beforeTraining(TrainConfig, TrainingData)} for one of {@code localRanks} data-parallel ranks on this
     * machine: each holds its own copy of the model and its share of the batch, so together they must fit.
     */
    public static void beforeTraining(TrainConfig c, TrainingData data, int localRanks) throws IOException {
        if (c.model().device().isCpu()) requireRanks(training(c, data), localRanks, physicalMemory(), "this training run");
    }

    /** The estimate of training {@code c} on {@code data}: its largest sample, in batches no larger than the data allow. */
    public static Estimate training(TrainConfig c, TrainingData data) throws IOException {
        ModelShape m = ModelShape.of(c.model().location());
        long samples = data.datasets().stream().mapToLong(d -> (long) d.entries().size() * (d.config().repeats() + 1)).sum();
        return training(c, m, imageTokens(c, data, m), (int) Math.max(1, Math.min(c.training().batches().size(), samples)));
    }

    /** Checks sampling before the model is loaded. */
    public static void beforeSampling(ModelLocation loc, WeightPrecision precision, int width, int height) throws IOException {
        require(sampling(ModelShape.of(loc), width, height, precision), physicalMemory(), "sampling");
    }

    /** The machine's physical memory (a container's limit where there is one), or 0 when the JVM cannot tell. */
    public static long physicalMemory() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getTotalMemorySize() : 0;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    private static String count(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f billion", n / 1e9)
                : n >= 1_000_000 ? String.format(Locale.ROOT, "%.1f million", n / 1e6) : Long.toString(n);
    }
}
