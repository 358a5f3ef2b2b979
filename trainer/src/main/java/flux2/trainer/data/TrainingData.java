package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.TrainConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The training loop's entry to the data: every image dataset of a config scanned, the sampler over them, and for
 * each image dataset with conditioning_data its reference sets (in conditioning_data order; empty otherwise).
 * Images left out (at the scan, for want of a usable reference, or when their latent cannot be made) are never in a
 * batch: the sampler is built over the images that remain, so batches and a resumed position have no holes.
 */
public record TrainingData(List<ImageDataset> datasets, DataSampler sampler, Map<String, List<ReferenceSet>> references) {

    /**
     * Scans the config's image datasets and builds the sampler for train_batch_size x gradient_accumulation_steps.
     * {@code seed} fixes random crops and the data order (pass config.seed(), or a recorded random seed when unset).
     * A dataset without any usable image is an error, as in SimpleTuner.
     */
    public static TrainingData open(TrainConfig config, long seed, Consumer<String> log) {
        List<ImageDataset> scanned = config.imageDatasets().stream().map(d -> DatasetScanner.scan(d, seed, log)).toList();
        Map<String, DatasetConfig> byId = new LinkedHashMap<>();
        for (DatasetConfig d : config.conditioningDatasets()) byId.put(d.id(), d);
        Map<String, List<ReferenceSet>> refs = new LinkedHashMap<>();
        for (ImageDataset d : scanned)
            refs.put(d.config().id(), d.config().conditioningData().stream().map(id -> ReferencePairing.pair(d, byId.get(id), seed, log)).toList());
        // an image whose reference could not be used is left out with it
        Map<String, Map<String, String>> unpaired = new LinkedHashMap<>();
        for (ImageDataset d : scanned)
            for (ReferenceSet r : refs.get(d.config().id()))
                for (ImageEntry e : d.entries())
                    if (!r.byImage().containsKey(e.relativePath()))
                        unpaired.computeIfAbsent(d.config().id(), k -> new LinkedHashMap<>())
                                .putIfAbsent(e.relativePath(), "its reference in '" + r.config().id() + "' cannot be used");
        List<ImageDataset> datasets = scanned.stream().map(d -> without(d, unpaired.getOrDefault(d.config().id(), Map.of()))).toList();
        requireImages(datasets);
        int batch = config.training().batchSize();
        DataSampler sampler = new DataSampler(datasets, batch, batch * config.training().gradientAccumulationSteps(), seed, log);
        return new TrainingData(datasets, sampler, Collections.unmodifiableMap(withoutRefs(refs, datasets)));
    }

    /**
     * This data less the images given by dataset id, relative path and reason (those whose latents could not be made),
     * with the sampler rebuilt over what remains; {@code log} gets a line per dataset that lost images.
     */
    public TrainingData without(Map<String, Map<String, String>> unusable, Consumer<String> log) {
        if (unusable.values().stream().allMatch(Map::isEmpty)) return this;
        List<ImageDataset> kept = datasets.stream().map(d -> without(d, unusable.getOrDefault(d.config().id(), Map.of()))).toList();
        for (ImageDataset d : kept) {
            int lost = unusable.getOrDefault(d.config().id(), Map.of()).size();
            if (lost > 0) log.accept("dataset '" + d.config().id() + "': " + d.entries().size() + " images left, " + lost + " left out as their latent could not be made");
        }
        requireImages(kept);
        return new TrainingData(kept, sampler.over(kept, log), Collections.unmodifiableMap(withoutRefs(references, kept)));
    }

    /** The reference sets of an image dataset (empty for text-to-image datasets). */
    public List<ReferenceSet> referencesOf(String datasetId) {
        return references.getOrDefault(datasetId, List.of());
    }

    /** Every reference set of every image dataset. */
    public List<ReferenceSet> allReferences() {
        return references.values().stream().flatMap(List::stream).toList();
    }

    /** The dataset less the images named (relative path to reason). */
    public static ImageDataset without(ImageDataset d, Map<String, String> leftOut) {
        if (leftOut.isEmpty()) return d;
        List<String> skipped = new ArrayList<>(d.skipped());
        leftOut.forEach((rel, why) -> skipped.add(rel + ": " + why));
        return new ImageDataset(d.config(), d.entries().stream().filter(e -> !leftOut.containsKey(e.relativePath())).toList(), skipped);
    }

    /** Every image dataset must keep at least one image (SimpleTuner: "Dataset produced no usable samples"). */
    public static void requireImages(List<ImageDataset> datasets) {
        for (ImageDataset d : datasets)
            if (d.entries().isEmpty())
                throw new IllegalStateException("dataset '" + d.config().id() + "' has no usable image in " + d.config().instanceDataDir()
                        + (d.skipped().isEmpty() ? " (no file with an image extension: png, jpg, jpeg, webp, bmp, gif, tif, tiff)"
                        : ": all " + d.skipped().size() + " files were left out: " + summary(d.skipped())));
    }

    private static String summary(List<String> skipped) {
        List<String> first = skipped.subList(0, Math.min(5, skipped.size()));
        return String.join("; ", first) + (skipped.size() > first.size() ? "; and " + (skipped.size() - first.size()) + " more (see above)" : "");
    }

    private static Map<String, List<ReferenceSet>> withoutRefs(Map<String, List<ReferenceSet>> refs, List<ImageDataset> kept) {
        Map<String, List<ReferenceSet>> out = new LinkedHashMap<>();
        for (ImageDataset d : kept) {
            Set<String> images = new java.util.HashSet<>();
            for (ImageEntry e : d.entries()) images.add(e.relativePath());
            out.put(d.config().id(), refs.getOrDefault(d.config().id(), List.of()).stream().map(r -> {
                Map<String, ImageEntry> m = new LinkedHashMap<>(r.byImage());
                m.keySet().retainAll(images);
                return new ReferenceSet(r.config(), r.pairedWith(), Map.copyOf(m));
            }).toList());
        }
        return out;
    }
}
