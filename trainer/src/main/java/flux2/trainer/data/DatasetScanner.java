package flux2.trainer.data;

import flux2.model.image.ImageHeader;
import flux2.trainer.config.DatasetConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Finds a local dataset's images (recursively, links followed), reads their format, size and orientation from their
 * headers, their captions and crop plans. Files that cannot be used are skipped with a message naming them and why:
 * formats without a reader, files that are no image or whose header is damaged, images above max_image_pixels
 * (never decoded), missing or unreadable captions, sizes and aspect ratios outside the dataset's limits. Which files
 * are skipped depends only on the files, so a resumed run sees the same dataset.
 */
public final class DatasetScanner {
    private DatasetScanner() {}

    /** Scans one image dataset; {@code seed} fixes random crops; {@code log} receives one line per skipped file and a summary. */
    public static ImageDataset scan(DatasetConfig d, long seed, Consumer<String> log) {
        if (d.datasetType() != DatasetConfig.DatasetType.IMAGE) throw new IllegalArgumentException(d.id() + " is not an image dataset");
        Path root = d.instanceDataDir();
        List<String> skipped = new ArrayList<>();
        Consumer<ImageFolder.Skipped> skip = s -> {
            skipped.add(ImageFolder.relative(root, s.file()) + ": " + s.reason());
            log.accept("dataset '" + d.id() + "': skipped " + s.file() + ": " + s.reason());
        };
        List<ImageEntry> entries = new ArrayList<>();
        for (Path f : ImageFolder.list(root, "dataset '" + d.id() + "'", skip)) {
            String rel = ImageFolder.relative(root, f);
            ImageHeader header;
            List<String> captions;
            try {
                header = ImageHeader.read(f);
            } catch (IOException e) {
                skip.accept(new ImageFolder.Skipped(f, problem(e, f)));
                continue;
            }
            if (header.pixels() > d.maxImagePixels()) {
                skip.accept(new ImageFolder.Skipped(f, overLimit(header, d.maxImagePixels())));
                continue;
            }
            try {
                captions = Captions.of(f, d);
            } catch (IOException e) {
                skip.accept(new ImageFolder.Skipped(f, e.getMessage()));
                continue;
            }
            int w = header.width(), h = header.height();
            if (!BucketMath.meetsMinimum(d, w, h)) {
                skip.accept(new ImageFolder.Skipped(f, w + "x" + h + " is below minimum_image_size " + d.minimumImageSize()));
                continue;
            }
            double a = w / (double) h;
            if ((d.minimumAspectRatio() != null && a < d.minimumAspectRatio()) || (d.maximumAspectRatio() != null && a > d.maximumAspectRatio())) {
                skip.accept(new ImageFolder.Skipped(f, "aspect ratio " + String.format(Locale.ROOT, "%.3f", a) + " is outside the dataset's limits"));
                continue;
            }
            SeededRandom r = new SeededRandom(SeededRandom.mix(seed, SeededRandom.hash(d.id()), SeededRandom.hash(rel)));
            entries.add(new ImageEntry(f, rel, captions, BucketMath.plan(d, w, h, r.nextDouble(), r.nextDouble())));
        }
        log.accept("dataset '" + d.id() + "': " + entries.size() + " images in " + root + (skipped.isEmpty() ? "" : " (" + skipped.size() + " files skipped)"));
        return new ImageDataset(d, entries, skipped);
    }

    /** Why an image cannot be used, without the file name that the skip message already gives. */
    static String problem(IOException e, Path f) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith(f + ": ") ? m.substring(f.toString().length() + 2) : m;
    }

    static String overLimit(ImageHeader h, long limit) {
        return h.storedWidth() + "x" + h.storedHeight() + " = " + h.pixels() + " pixels is above max_image_pixels " + limit
                + " (not decoded; raise max_image_pixels in config.json to use it)";
    }
}
