package flux2.trainer.cache;

import flux2.quant.Precision;
import flux2.model.image.AlphaPolicy;
import flux2.model.image.ImageFiles;
import flux2.model.image.ImageLoadException;
import flux2.model.image.RgbImage;
import flux2.model.mistral.FluxTextEmbedder;
import flux2.model.vae.AutoEncoder;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.ModelLocation;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.CropPlan;
import flux2.trainer.data.ImageDataset;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.ReferenceSet;
import flux2.trainer.data.TrainingData;
import flux2.trainer.events.Phase;
import flux2.trainer.events.TrainingEvents;
import flux2.trainer.models.ModelParts;
import flux2.trainer.progress.ProgressLine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The text-embedding cache, the latent cache of every image dataset and the latent caches of the reference sets
 * (conditioning datasets paired with image datasets, keyed by {@link #referenceKey}). {@link #build} fills what is
 * missing (entries already valid are skipped, so an interrupted build resumes), loading each encoder only when it has
 * work and releasing it as soon as its cache is complete. The folders it writes are locked against other runs while it
 * builds ({@link CacheFolders}).
 */
public record Caches(TextEmbedCache text, Map<String, LatentCache> latents, Map<String, LatentCache> references) {

    /** Caches without reference sets. */
    public Caches(TextEmbedCache text, Map<String, LatentCache> latents) {
        this(text, latents, Map.of());
    }

    /** The caches of a config; the identity hashes of the VAE and the text encoder name their entries. */
    public static Caches of(TrainConfig config, List<ImageDataset> datasets) throws IOException {
        ModelLocation loc = config.model().location();
        String vaeId = Hashing.modelIdentity(loc.vae());
        // a quantized text encoder gives other embeddings: its precision is part of the cache identity
        String textId = Hashing.modelIdentity(loc.textEncoder(), loc.tokenizer()) + "+" + Precision.parse(config.model().textEncoderPrecision()).name();
        DatasetConfig t = config.textEmbedDataset();
        Path textDir = t != null && t.cacheDir() != null ? t.cacheDir() : config.outputDir().resolve("cache").resolve("text");
        Map<String, LatentCache> lat = new LinkedHashMap<>();
        for (ImageDataset d : datasets) lat.put(d.config().id(), new LatentCache(vaeDir(config, d.config()), vaeId));
        return new Caches(new TextEmbedCache(textDir, textId), lat);
    }

    /** The caches of a config's training data, reference sets included. */
    public static Caches of(TrainConfig config, TrainingData data) throws IOException {
        Caches base = of(config, data.datasets());
        if (data.allReferences().isEmpty()) return base;
        String vaeId = Hashing.modelIdentity(config.model().location().vae());
        Map<String, LatentCache> refs = new LinkedHashMap<>();
        for (ReferenceSet r : data.allReferences()) refs.put(referenceKey(r), new LatentCache(vaeDir(config, r.config()), vaeId, r.cacheVariant()));
        return new Caches(base.text(), base.latents(), refs);
    }

    private static Path vaeDir(TrainConfig config, DatasetConfig d) {
        return d.cacheDirVae() != null ? d.cacheDirVae() : config.outputDir().resolve("cache").resolve("vae").resolve("flux2").resolve(d.id());
    }

    /** The key of a reference set's cache: its conditioning dataset and the image dataset it is paired with. */
    public static String referenceKey(ReferenceSet r) {
        return r.config().id() + "@" + r.pairedWith();
    }

    /** The latent cache of a reference set. */
    public LatentCache references(ReferenceSet r) {
        LatentCache c = references.get(referenceKey(r));
        if (c == null) throw new IllegalArgumentException("no latent cache for conditioning dataset '" + r.config().id() + "' paired with '" + r.pairedWith() + "'");
        return c;
    }

    /** The latent cache of a dataset. */
    public LatentCache latents(String datasetId) {
        LatentCache c = latents.get(datasetId);
        if (c == null) throw new IllegalArgumentException("no latent cache for dataset '" + datasetId + "'");
        return c;
    }

    /** Every caption of the datasets plus {@code prompts} (validation prompts), without repeats, in order. */
    public static List<String> captions(List<ImageDataset> datasets, List<String> prompts) {
        Set<String> all = new LinkedHashSet<>();
        for (ImageDataset d : datasets) for (ImageEntry e : d.entries()) all.addAll(e.captions());
        all.addAll(prompts);
        return List.copyOf(all);
    }

    /**
     * Encodes the missing latents, then the missing captions of the images that remain, with the cache folders locked;
     * encoders are closed on return. An image that cannot be decoded is left out with a message naming it and why (the
     * run goes on); the datasets returned are those without it, and one left without images is an error before the
     * text encoder is loaded.
     */
    public List<ImageDataset> build(TrainConfig config, List<ImageDataset> datasets, List<String> prompts, PrintStream out) throws IOException {
        List<Job> jobs = new ArrayList<>();
        for (ImageDataset d : datasets) jobs.add(Job.of(latents(d.config().id()), d));
        try (CacheFolders held = claim(captions(datasets, prompts), jobs, out)) {
            Map<String, Map<String, String>> unusable = buildLatents(config.model().location(), jobs, out);
            List<ImageDataset> kept = datasets.stream().map(d -> TrainingData.without(d, unusable.getOrDefault(d.config().id(), Map.of()))).toList();
            TrainingData.requireImages(kept);
            buildText(config, captions(kept, prompts), out);
            return kept;
        }
    }

    /**
     * As {@link #build(TrainConfig, List, List, PrintStream)}, the reference images of the training data included: a
     * training image whose reference cannot be decoded is left out too. Returns the data without what was left out
     * (its sampler rebuilt over the rest), or {@code data} itself when nothing was.
     */
    public TrainingData build(TrainConfig config, TrainingData data, List<String> prompts, PrintStream out) throws IOException {
        return build(config, data, prompts, out, TrainingEvents.NONE);
    }

    /** As {@link #build(TrainConfig, TrainingData, List, PrintStream)}, reporting the caching phases to {@code events}. */
    public TrainingData build(TrainConfig config, TrainingData data, List<String> prompts, PrintStream out, TrainingEvents events) throws IOException {
        List<Job> jobs = new ArrayList<>();
        for (ImageDataset d : data.datasets()) {
            jobs.add(Job.of(latents(d.config().id()), d));
            for (ReferenceSet r : data.referencesOf(d.config().id())) jobs.add(Job.of(references(r), d, r));
        }
        try (CacheFolders held = claim(captions(data.datasets(), prompts), jobs, out)) {
            events.phase(Phase.CACHING_LATENTS);
            Map<String, Map<String, String>> unusable = buildLatents(config.model().location(), jobs, out);
            TrainingData kept = data.without(unusable, out::println);
            events.phase(Phase.CACHING_TEXT);
            buildText(config, captions(kept.datasets(), prompts), out);
            return kept;
        }
    }

    /**
     * The entries one latent cache holds, each with the training image it belongs to (itself, or the image a reference
     * is paired with), the dataset of that image, and the pixel limit of the dataset the entry's file comes from.
     */
    private record Job(LatentCache cache, List<ImageEntry> entries, List<String> trainingImages, String datasetId, long maxPixels, boolean references) {
        static Job of(LatentCache cache, ImageDataset d) {
            return new Job(cache, d.entries(), d.entries().stream().map(ImageEntry::relativePath).toList(), d.config().id(), d.config().maxImagePixels(), false);
        }

        static Job of(LatentCache cache, ImageDataset d, ReferenceSet r) {
            List<String> images = List.copyOf(r.byImage().keySet());
            return new Job(cache, images.stream().map(r.byImage()::get).toList(), images, d.config().id(), r.config().maxImagePixels(), true);
        }
    }

    private void buildText(TrainConfig config, List<String> captions, PrintStream out) throws IOException {
        DatasetConfig t = config.textEmbedDataset();
        buildText(config.model().location(), config.model().textEncoderPrecision(), captions, t == null ? 1 : Math.max(1, t.textEncoderBatchSize()), out);
    }

    /** Locks the text cache and the latent cache folders that this build has entries to add to. */
    private CacheFolders claim(List<String> captions, List<Job> jobs, PrintStream out) throws IOException {
        Map<Path, BooleanSupplier> complete = new LinkedHashMap<>();
        complete.put(text.dir(), () -> captions.stream().allMatch(text::has));
        for (Job j : jobs) {
            BooleanSupplier before = complete.getOrDefault(j.cache().dir(), () -> true);
            complete.put(j.cache().dir(), () -> before.getAsBoolean() && j.entries().stream().allMatch(j.cache()::has));
        }
        return CacheFolders.claim(complete, out);
    }

    private void buildText(ModelLocation loc, String precision, List<String> captions, int batch, PrintStream out) throws IOException {
        List<String> missing = captions.stream().filter(c -> !text.has(c)).toList();
        out.println("text cache " + text.dir() + ": " + (captions.size() - missing.size()) + " of " + captions.size() + " captions cached");
        if (missing.isEmpty()) return;
        try (ModelParts.TextEncoder te = ModelParts.textEncoder(loc, precision)) {
            int layers = te.quantized().size();
            if (layers > 0) out.println("text encoder: " + layers + " Linear layers quantized (" + precision + ")");
            FluxTextEmbedder emb = te.embedder();
            ProgressLine bar = new ProgressLine(out, "text embeds", captions.size(), captions.size() - missing.size(), 500);
            int done = captions.size() - missing.size();
            for (int i = 0; i < missing.size(); i += batch) {
                List<String> group = missing.subList(i, Math.min(missing.size(), i + batch));
                try (var a = TensorArena.open("text-cache")) {
                    Tensor e = emb.encode(group).promptEmbeds();
                    for (int j = 0; j < group.size(); j++) text.put(group.get(j), e.select(0, j));
                }
                done += group.size();
                bar.update(done, "");
            }
            bar.finish(done, "");
        }
    }

    /** Builds the missing latents; returns, by dataset id, the training images left out (relative path to reason). */
    private Map<String, Map<String, String>> buildLatents(ModelLocation loc, List<Job> jobs, PrintStream out) throws IOException {
        List<Job> todoJob = new ArrayList<>();
        List<Integer> todoIndex = new ArrayList<>();
        int total = 0;
        for (Job j : jobs) {
            LatentCache c = j.cache();
            int missing = 0;
            for (int i = 0; i < j.entries().size(); i++) {
                total++;
                if (!c.has(j.entries().get(i))) {
                    todoJob.add(j);
                    todoIndex.add(i);
                    missing++;
                }
            }
            out.println("latent cache " + c.dir() + ": " + (j.entries().size() - missing) + " of " + j.entries().size() + " images cached");
        }
        Map<String, Map<String, String>> unusable = new LinkedHashMap<>();
        if (todoJob.isEmpty()) return unusable;
        List<String> messages = new ArrayList<>();
        try (AutoEncoder vae = ModelParts.vae(loc)) {
            ProgressLine bar = new ProgressLine(out, "vae latents", total, total - todoJob.size(), 500);
            int done = total - todoJob.size();
            for (int i = 0; i < todoJob.size(); i++) {
                Job j = todoJob.get(i);
                ImageEntry e = j.entries().get(todoIndex.get(i));
                RgbImage img;
                try {
                    img = trainingImage(e, j.maxPixels());
                } catch (ImageLoadException ex) {
                    // the same file fails the same way on every run, so leaving it out keeps runs and resumes consistent
                    String image = j.trainingImages().get(todoIndex.get(i));
                    String why = ex.getMessage();
                    unusable.computeIfAbsent(j.datasetId(), k -> new LinkedHashMap<>()).putIfAbsent(image, why);
                    messages.add("dataset '" + j.datasetId() + "': skipped " + (j.references() ? image + ", whose reference is " : "") + why);
                    bar.update(++done, "");
                    continue;
                }
                try (var a = TensorArena.open("vae-cache")) {
                    Tensor latent = vae.encode(img.toTensor());
                    j.cache().put(e, latent.select(0, 0));
                }
                bar.update(++done, "");
            }
            bar.finish(done, "");
        }
        messages.forEach(out::println);
        int skipped = unusable.values().stream().mapToInt(Map::size).sum();
        if (skipped > 0) out.println(skipped + " images left out because they cannot be decoded (listed above)");
        return unusable;
    }

    /** The image as it is trained on: read (EXIF applied), resized and cropped per its plan, refused above the default pixel limit. */
    public static RgbImage trainingImage(ImageEntry e) throws IOException {
        return trainingImage(e, ImageFiles.DEFAULT_MAX_PIXELS);
    }

    /**
     * The image as it is trained on, decoded straight into its resize size (no full-size float copy) and cropped per
     * its plan; an image whose header declares more than {@code maxPixels} pixels is refused without decoding.
     */
    public static RgbImage trainingImage(ImageEntry e, long maxPixels) throws ImageLoadException {
        CropPlan p = e.plan();
        RgbImage img;
        try {
            img = ImageFiles.readResized(e.file(), AlphaPolicy.WHITE, maxPixels, p.resizeWidth(), p.resizeHeight());
        } catch (OutOfMemoryError oom) {
            // not a property of the file: stop rather than leave out an image another machine would read
            throw new IllegalStateException("not enough Java heap to decode " + e.file() + " (" + p.originalWidth() + "x" + p.originalHeight()
                    + ", heap limit " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB): raise -Xmx or lower max_image_pixels", oom);
        }
        if (p.cropLeft() != 0 || p.cropTop() != 0 || p.targetWidth() != p.resizeWidth() || p.targetHeight() != p.resizeHeight())
            img = img.crop(p.cropLeft(), p.cropTop(), p.targetWidth(), p.targetHeight());
        return img;
    }
}
