package flux2.trainer.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One validated multidatabackend.json entry with config.json's data defaults applied. For text_embeds datasets only
 * id, cacheDir, isDefault and the batch sizes are meaningful.
 */
public record DatasetConfig(String id, DatasetType datasetType, Path instanceDataDir, boolean crop, CropStyle cropStyle,
                            CropAspect cropAspect, double resolution, ResolutionType resolutionType, Double minimumImageSize,
                            Double minimumAspectRatio, Double maximumAspectRatio, Path cacheDirVae,
                            CaptionStrategy captionStrategy, List<String> instancePrompt, boolean prependInstancePrompt,
                            boolean onlyInstancePrompt, boolean disableMultilineSplit, int repeats, String textEmbeds,
                            boolean isDefault, Path cacheDir, int writeBatchSize, int textEncoderBatchSize,
                            int aspectBucketRounding, boolean disableBucketPruning) {

    /** What a dataset holds. */
    public enum DatasetType { IMAGE, TEXT_EMBEDS }

    /** How {@code resolution} is read: shorter edge in pixels, megapixels, or an edge whose square is the area. */
    public enum ResolutionType { PIXEL, AREA, PIXEL_AREA }

    /** Where the crop window sits inside the resized image. */
    public enum CropStyle { RANDOM, CENTER, CORNER }

    /** Whether crops are square or keep the image's aspect bucket. */
    public enum CropAspect { SQUARE, PRESERVE }

    /** Where captions come from. */
    public enum CaptionStrategy { FILENAME, TEXTFILE, INSTANCEPROMPT }
}
