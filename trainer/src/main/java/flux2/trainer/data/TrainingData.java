package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.TrainConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The training loop's entry to the data: every image dataset of a config scanned, the sampler over them, and for
 * each image dataset with conditioning_data its reference sets (in conditioning_data order; empty otherwise).
 */
public record TrainingData(List<ImageDataset> datasets, DataSampler sampler, Map<String, List<ReferenceSet>> references) {

    /**
     * Scans the config's image datasets and builds the sampler for train_batch_size x gradient_accumulation_steps.
     * {@code seed} fixes random crops and the data order (pass config.seed(), or a recorded random seed when unset).
     */
    public static TrainingData open(TrainConfig config, long seed, Consumer<String> log) {
        return open(config, seed, 1, log);
    }

    /**
     * As {@link #open(TrainConfig, long, Consumer)} for {@code processes} data-parallel processes: the sampler forms the
     * global batches of processes x train_batch_size samples that one process with that batch size would form.
     */
    public static TrainingData open(TrainConfig config, long seed, int processes, Consumer<String> log) {
        List<ImageDataset> scanned = config.imageDatasets().stream().map(d -> scanOne(d, seed, log)).toList();
        int batch = config.training().batchSize() * processes;
        DataSampler sampler = new DataSampler(scanned, batch, batch * config.training().gradientAccumulationSteps(), seed, log);
        Map<String, DatasetConfig> byId = new LinkedHashMap<>();
        for (DatasetConfig d : config.conditioningDatasets()) byId.put(d.id(), d);
        Map<String, List<ReferenceSet>> refs = new LinkedHashMap<>();
        for (ImageDataset d : scanned)
            refs.put(d.config().id(), d.config().conditioningData().stream().map(id -> ReferencePairing.pair(d, byId.get(id), seed, log)).toList());
        return new TrainingData(scanned, sampler, java.util.Collections.unmodifiableMap(refs));
    }

    /** The reference sets of an image dataset (empty for text-to-image datasets). */
    public List<ReferenceSet> referencesOf(String datasetId) {
        return references.getOrDefault(datasetId, List.of());
    }

    /** Every reference set of every image dataset. */
    public List<ReferenceSet> allReferences() {
        return references.values().stream().flatMap(List::stream).toList();
    }

    private static ImageDataset scanOne(DatasetConfig d, long seed, Consumer<String> log) {
        ImageDataset ds = DatasetScanner.scan(d, seed, log);
        log.accept("dataset '" + d.id() + "': " + ds.entries().size() + " images in " + d.instanceDataDir());
        return ds;
    }
}
