package flux2.trainer.cache;

import flux2.quant.Precision;
import flux2.model.image.ImageFiles;
import flux2.model.image.Lanczos;
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

/**
 * The text-embedding cache, the latent cache of every image dataset and the latent caches of the reference sets
 * (conditioning datasets paired with image datasets, keyed by {@link #referenceKey}). {@link #build} fills what is
 * missing (entries already valid are skipped, so an interrupted build resumes), loading each encoder only when it has
 * work and releasing it as soon as its cache is complete.
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

    /** Encodes the missing captions and latents; encoders are closed on return. */
    public void build(TrainConfig config, List<ImageDataset> datasets, List<String> prompts, PrintStream out) throws IOException {
        ModelLocation loc = config.model().location();
        DatasetConfig t = config.textEmbedDataset();
        buildText(loc, config.model().textEncoderPrecision(), captions(datasets, prompts), t == null ? 1 : Math.max(1, t.textEncoderBatchSize()), out);
        List<Job> jobs = new ArrayList<>();
        for (ImageDataset d : datasets) jobs.add(new Job(latents(d.config().id()), d.entries()));
        buildLatents(loc, jobs, out);
    }

    /** As {@link #build(TrainConfig, List, List, PrintStream)}, the reference images of the training data included. */
    public void build(TrainConfig config, TrainingData data, List<String> prompts, PrintStream out) throws IOException {
        build(config, data, prompts, out, TrainingEvents.NONE);
    }

    /** As {@link #build(TrainConfig, TrainingData, List, PrintStream)}, reporting the caching phases to {@code events}. */
    public void build(TrainConfig config, TrainingData data, List<String> prompts, PrintStream out, TrainingEvents events) throws IOException {
        ModelLocation loc = config.model().location();
        DatasetConfig t = config.textEmbedDataset();
        events.phase(Phase.CACHING_TEXT);
        buildText(loc, config.model().textEncoderPrecision(), captions(data.datasets(), prompts), t == null ? 1 : Math.max(1, t.textEncoderBatchSize()), out);
        List<Job> jobs = new ArrayList<>();
        for (ImageDataset d : data.datasets()) {
            jobs.add(new Job(latents(d.config().id()), d.entries()));
            for (ReferenceSet r : data.referencesOf(d.config().id())) jobs.add(new Job(references(r), List.copyOf(r.byImage().values())));
        }
        events.phase(Phase.CACHING_LATENTS);
        buildLatents(loc, jobs, out);
    }

    /** The entries one latent cache holds. */
    private record Job(LatentCache cache, List<ImageEntry> entries) {}

    private void buildText(ModelLocation loc, String precision, List<String> captions, int batch, PrintStream out) throws IOException {
        List<String> missing = captions.stream().filter(c -> !text.has(c)).toList();
        out.println("text cache " + text.dir() + ": " + (captions.size() - missing.size()) + " of " + captions.size() + " captions cached");
        if (missing.isEmpty()) return;
        try (ModelParts.TextEncoder te = ModelParts.textEncoder(loc); TensorArena quantized = TensorArena.create("text-encoder-quantized")) {
            int layers = Precision.apply(precision, te.model(), name -> true, quantized).size();
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

    private void buildLatents(ModelLocation loc, List<Job> jobs, PrintStream out) throws IOException {
        List<ImageEntry> todo = new ArrayList<>();
        List<LatentCache> where = new ArrayList<>();
        int total = 0;
        for (Job j : jobs) {
            LatentCache c = j.cache();
            int before = todo.size();
            for (ImageEntry e : j.entries()) {
                total++;
                if (!c.has(e)) {
                    todo.add(e);
                    where.add(c);
                }
            }
            out.println("latent cache " + c.dir() + ": " + (j.entries().size() - (todo.size() - before)) + " of " + j.entries().size() + " images cached");
        }
        if (todo.isEmpty()) return;
        try (AutoEncoder vae = ModelParts.vae(loc)) {
            ProgressLine bar = new ProgressLine(out, "vae latents", total, total - todo.size(), 500);
            int done = total - todo.size();
            for (int i = 0; i < todo.size(); i++) {
                ImageEntry e = todo.get(i);
                try (var a = TensorArena.open("vae-cache")) {
                    Tensor latent = vae.encode(trainingImage(e).toTensor());
                    where.get(i).put(e, latent.select(0, 0));
                }
                bar.update(++done, "");
            }
            bar.finish(done, "");
        }
    }

    /** The image as it is trained on: read (EXIF applied), resized and cropped per its plan. */
    public static RgbImage trainingImage(ImageEntry e) throws IOException {
        CropPlan p = e.plan();
        RgbImage img = ImageFiles.read(e.file());
        if (img.width() != p.resizeWidth() || img.height() != p.resizeHeight()) img = Lanczos.resize(img, p.resizeWidth(), p.resizeHeight());
        if (p.cropLeft() != 0 || p.cropTop() != 0 || p.targetWidth() != p.resizeWidth() || p.targetHeight() != p.resizeHeight())
            img = img.crop(p.cropLeft(), p.cropTop(), p.targetWidth(), p.targetHeight());
        return img;
    }
}
