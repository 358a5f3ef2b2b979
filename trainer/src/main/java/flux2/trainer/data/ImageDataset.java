package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import java.util.List;

/** A scanned image dataset: its configuration and its usable images in a stable (path) order. */
public record ImageDataset(DatasetConfig config, List<ImageEntry> entries) {}
