package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.TrainConfig;
import java.util.List;
import java.util.function.Consumer;

/** The training loop's entry to the data: every image dataset of a config scanned, and the sampler over them. */
public record TrainingData(List<ImageDataset> datasets, DataSampler sampler) {

    /**
     * Scans the config's image datasets and builds the sampler for train_batch_size x gradient_accumulation_steps.
     * {@code seed} fixes random crops and the data order (pass config.seed(), or a recorded random seed when unset).
     */
    public static TrainingData open(TrainConfig config, long seed, Consumer<String> log) {
        List<ImageDataset> scanned = config.imageDatasets().stream().map(d -> scanOne(d, seed, log)).toList();
        int batch = config.training().batchSize();
        DataSampler sampler = new DataSampler(scanned, batch, batch * config.training().gradientAccumulationSteps(), seed, log);
        return new TrainingData(scanned, sampler);
    }

    private static ImageDataset scanOne(DatasetConfig d, long seed, Consumer<String> log) {
        ImageDataset ds = DatasetScanner.scan(d, seed, log);
        log.accept("dataset '" + d.id() + "': " + ds.entries().size() + " images in " + d.instanceDataDir());
        return ds;
    }
}
