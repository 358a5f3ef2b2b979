package flux2.trainer.data;

import flux2.model.image.ImageHeader;
import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.ConditioningType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Pairs a conditioning dataset with the training images of an image dataset by identical file names (the relative
 * path without its extension, so edit/a.png pairs with reference/a.jpg) and plans each reference's crop:
 * reference_strict takes the training image's resize and crop window (scaled onto the reference when its size
 * differs), reference_loose gets its own aspect bucket under the conditioning dataset's resolution settings.
 */
public final class ReferencePairing {
    private ReferencePairing() {}

    /**
     * The pairing; an {@link IllegalStateException} lists every training image without a reference. A reference that
     * cannot be used (not an image, damaged header, above max_image_pixels) is reported and left unpaired, and so its
     * training image is left out of training.
     */
    public static ReferenceSet pair(ImageDataset main, DatasetConfig cond, long seed, Consumer<String> log) {
        Map<String, Path> refs = scan(cond, log);
        Map<String, ImageEntry> byImage = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        int aspectMismatch = 0, unusable = 0;
        for (ImageEntry img : main.entries()) {
            Path f = refs.get(stem(img.relativePath()));
            if (f == null) {
                missing.add(img.relativePath());
                continue;
            }
            String rel = ImageFolder.relative(cond.instanceDataDir(), f);
            ImageHeader size;
            String problem;
            try {
                size = ImageHeader.read(f);
                problem = size.pixels() > cond.maxImagePixels() ? DatasetScanner.overLimit(size, cond.maxImagePixels()) : null;
            } catch (IOException e) {
                size = null;
                problem = DatasetScanner.problem(e, f);
            }
            if (problem != null) {
                // the training image cannot be trained without its reference: both are left out
                log.accept("conditioning dataset '" + cond.id() + "': skipped " + f + " and its training image " + img.relativePath()
                        + " of '" + main.config().id() + "': " + problem);
                unusable++;
                continue;
            }
            CropPlan plan;
            if (cond.conditioningType() == ConditioningType.REFERENCE_STRICT) {
                CropPlan p = img.plan();
                if (Math.abs(size.width() / (double) size.height() - p.originalWidth() / (double) p.originalHeight()) > 0.01) aspectMismatch++;
                plan = new CropPlan(size.width(), size.height(), p.resizeWidth(), p.resizeHeight(), p.cropLeft(), p.cropTop(),
                        p.targetWidth(), p.targetHeight());
            } else {
                SeededRandom r = new SeededRandom(SeededRandom.mix(seed, SeededRandom.hash(cond.id()), SeededRandom.hash(rel)));
                plan = BucketMath.plan(cond, size.width(), size.height(), r.nextDouble(), r.nextDouble());
            }
            byImage.put(img.relativePath(), new ImageEntry(f, rel, List.of(), plan));
        }
        if (!missing.isEmpty())
            throw new IllegalStateException("conditioning dataset '" + cond.id() + "' (" + cond.instanceDataDir() + ") has no image named like "
                    + missing.size() + " of the " + main.entries().size() + " images of dataset '" + main.config().id()
                    + "' (pairs share the file name without extension): " + missing);
        if (aspectMismatch > 0)
            log.accept("conditioning dataset '" + cond.id() + "': " + aspectMismatch + " reference_strict images have another aspect ratio than their"
                    + " training image; they are stretched onto its crop window");
        int unused = refs.size() - byImage.size() - unusable;
        log.accept("conditioning dataset '" + cond.id() + "' (" + cond.conditioningType().name().toLowerCase(Locale.ROOT) + "): "
                + byImage.size() + " references paired with '" + main.config().id() + "'" + (unused > 0 ? "; " + unused + " images without a partner are unused" : ""));
        return new ReferenceSet(cond, main.config().id(), Map.copyOf(byImage));
    }

    /** Image files of the folder by relative path without extension; two files with one name are an error. */
    private static Map<String, Path> scan(DatasetConfig cond, Consumer<String> log) {
        Path root = cond.instanceDataDir();
        Map<String, Path> out = new LinkedHashMap<>();
        for (Path f : ImageFolder.list(root, "conditioning dataset '" + cond.id() + "'",
                s -> log.accept("conditioning dataset '" + cond.id() + "': skipped " + s.file() + ": " + s.reason()))) {
            Path before = out.put(stem(ImageFolder.relative(root, f)), f);
            if (before != null)
                throw new IllegalStateException("conditioning dataset '" + cond.id() + "': " + before + " and " + f
                        + " have the same name; a reference is paired by file name without extension, keep one of them");
        }
        return out;
    }

    /** The pairing key of an image: its path relative to the dataset folder without the extension. */
    public static String stem(String relativePath) {
        int slash = relativePath.lastIndexOf('/'), dot = relativePath.lastIndexOf('.');
        return dot > slash + 1 ? relativePath.substring(0, dot) : relativePath;
    }
}
