package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import java.util.List;

/**
 * A scanned image dataset: its configuration, its usable images in a stable (path) order, and one line per file left
 * out ("path: reason"), whether at the scan or when its latent could not be made.
 */
public record ImageDataset(DatasetConfig config, List<ImageEntry> entries, List<String> skipped) {
    public ImageDataset {
        entries = List.copyOf(entries);
        skipped = List.copyOf(skipped);
    }

    /** A dataset nothing was left out of. */
    public ImageDataset(DatasetConfig config, List<ImageEntry> entries) {
        this(config, entries, List.of());
    }
}
