package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import java.util.Map;

/**
 * One conditioning dataset paired with one image dataset: for each training image (by its relative path), the
 * reference image with its own crop plan. {@link #cacheVariant} tells the latent cache which pairing and crop rule
 * made the plans, so that the same conditioning folder paired or cropped otherwise gets other entries.
 */
public record ReferenceSet(DatasetConfig config, String pairedWith, Map<String, ImageEntry> byImage) {

    /** The reference image of a training image of the paired dataset. */
    public ImageEntry of(ImageEntry image) {
        ImageEntry e = byImage.get(image.relativePath());
        if (e == null) throw new IllegalArgumentException("no reference in '" + config.id() + "' for " + image.relativePath());
        return e;
    }

    /** The conditioning settings that shape the cached latents. */
    public String cacheVariant() {
        return "reference:" + config.conditioningType().name().toLowerCase(java.util.Locale.ROOT) + ":paired-with:" + pairedWith;
    }
}
