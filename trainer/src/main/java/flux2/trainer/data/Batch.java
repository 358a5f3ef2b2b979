package flux2.trainer.data;

import java.util.List;

/** One batch: samples of one dataset that share one target size; epoch and index say where it came from. */
public record Batch(long epoch, int index, String datasetId, int width, int height, List<Sample> samples) {}
