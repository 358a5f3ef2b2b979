package flux2.trainer.data;

import java.nio.file.Path;
import java.util.List;

/** One usable image of a dataset: its file, its path inside the dataset folder, its captions and its crop plan. */
public record ImageEntry(Path file, String relativePath, List<String> captions, CropPlan plan) {}
