package flux2.trainer.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One validated multidatabackend.json entry with config.json's data defaults applied. For text_embeds datasets only
 * id, cacheDir, isDefault and the batch sizes are meaningful. conditioningType is set for conditioning datasets;
 * conditioningData lists the conditioning datasets paired to an image dataset (conditioning_data, in file order).
 * maxImagePixels is config.json's max_image_pixels: images whose header declares more pixels are skipped undecoded.
 */
public record DatasetConfig(String id, DatasetType datasetType, Path instanceDataDir, boolean crop, CropStyle cropStyle,
                            CropAspect cropAspect, double resolution, ResolutionType resolutionType, Double minimumImageSize,
                            Double minimumAspectRatio, Double maximumAspectRatio, Path cacheDirVae,
                            CaptionStrategy captionStrategy, List<String> instancePrompt, boolean prependInstancePrompt,
                            boolean onlyInstancePrompt, boolean disableMultilineSplit, int repeats, String textEmbeds,
                            boolean isDefault, Path cacheDir, int writeBatchSize, int textEncoderBatchSize,
                            int aspectBucketRounding, boolean disableBucketPruning, ConditioningType conditioningType,
                            List<String> conditioningData, long maxImagePixels) {

    /** The default of max_image_pixels: Pillow's decompression-bomb limit, above which SimpleTuner cannot open an image either. */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = flux2.model.image.ImageFiles.DEFAULT_MAX_PIXELS;

    /** A dataset with the default pixel limit. */
    public DatasetConfig(String id, DatasetType datasetType, Path instanceDataDir, boolean crop, CropStyle cropStyle,
                         CropAspect cropAspect, double resolution, ResolutionType resolutionType, Double minimumImageSize,
                         Double minimumAspectRatio, Double maximumAspectRatio, Path cacheDirVae,
                         CaptionStrategy captionStrategy, List<String> instancePrompt, boolean prependInstancePrompt,
                         boolean onlyInstancePrompt, boolean disableMultilineSplit, int repeats, String textEmbeds,
                         boolean isDefault, Path cacheDir, int writeBatchSize, int textEncoderBatchSize,
                         int aspectBucketRounding, boolean disableBucketPruning, ConditioningType conditioningType,
                         List<String> conditioningData) {
        this(id, datasetType, instanceDataDir, crop, cropStyle, cropAspect, resolution, resolutionType, minimumImageSize,
                minimumAspectRatio, maximumAspectRatio, cacheDirVae, captionStrategy, instancePrompt, prependInstancePrompt,
                onlyInstancePrompt, disableMultilineSplit, repeats, textEmbeds, isDefault, cacheDir, writeBatchSize,
                textEncoderBatchSize, aspectBucketRounding, disableBucketPruning, conditioningType, conditioningData, DEFAULT_MAX_IMAGE_PIXELS);
    }

    /** A dataset without conditioning settings (conditioning_type null, conditioning_data empty). */
    public DatasetConfig(String id, DatasetType datasetType, Path instanceDataDir, boolean crop, CropStyle cropStyle,
                         CropAspect cropAspect, double resolution, ResolutionType resolutionType, Double minimumImageSize,
                         Double minimumAspectRatio, Double maximumAspectRatio, Path cacheDirVae,
                         CaptionStrategy captionStrategy, List<String> instancePrompt, boolean prependInstancePrompt,
                         boolean onlyInstancePrompt, boolean disableMultilineSplit, int repeats, String textEmbeds,
                         boolean isDefault, Path cacheDir, int writeBatchSize, int textEncoderBatchSize,
                         int aspectBucketRounding, boolean disableBucketPruning) {
        this(id, datasetType, instanceDataDir, crop, cropStyle, cropAspect, resolution, resolutionType, minimumImageSize,
                minimumAspectRatio, maximumAspectRatio, cacheDirVae, captionStrategy, instancePrompt, prependInstancePrompt,
                onlyInstancePrompt, disableMultilineSplit, repeats, textEmbeds, isDefault, cacheDir, writeBatchSize,
                textEncoderBatchSize, aspectBucketRounding, disableBucketPruning, null, List.of(), DEFAULT_MAX_IMAGE_PIXELS);
    }

    /** What a dataset holds: training images, text-embedding caches, or reference images paired to training images. */
    public enum DatasetType { IMAGE, TEXT_EMBEDS, CONDITIONING }

    /**
     * How a conditioning dataset's images are cropped: REFERENCE_STRICT exactly as the paired training image (same
     * resize and crop window), REFERENCE_LOOSE on their own (own aspect bucket under the dataset's resolution settings).
     */
    public enum ConditioningType { REFERENCE_STRICT, REFERENCE_LOOSE }

    /** How {@code resolution} is read: shorter edge in pixels, megapixels, or an edge whose square is the area. */
    public enum ResolutionType { PIXEL, AREA, PIXEL_AREA }

    /** Where the crop window sits inside the resized image. */
    public enum CropStyle { RANDOM, CENTER, CORNER }

    /** Whether crops are square or keep the image's aspect bucket. */
    public enum CropAspect { SQUARE, PRESERVE }

    /** Where captions come from. */
    public enum CaptionStrategy { FILENAME, TEXTFILE, INSTANCEPROMPT }
}
