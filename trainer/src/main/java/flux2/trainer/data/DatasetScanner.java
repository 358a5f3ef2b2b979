package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Finds a local dataset's images (recursively), reads their sizes from headers, captions and crop plans. Files that
 * cannot be used are skipped with a message naming them and why.
 */
public final class DatasetScanner {
    /** File extensions treated as images (SimpleTuner's list, less formats without a reader here, which are reported). */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff");

    private DatasetScanner() {}

    /** Scans one image dataset; {@code seed} fixes random crops; {@code log} receives one line per skipped file. */
    public static ImageDataset scan(DatasetConfig d, long seed, Consumer<String> log) {
        if (d.datasetType() != DatasetConfig.DatasetType.IMAGE) throw new IllegalArgumentException(d.id() + " is not an image dataset");
        Path root = d.instanceDataDir();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(Files::isRegularFile).filter(DatasetScanner::isImage)
                    .sorted((a, b) -> root.relativize(a).toString().compareTo(root.relativize(b).toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list dataset '" + d.id() + "' folder " + root, e);
        }
        List<ImageEntry> entries = new ArrayList<>();
        for (Path f : files) {
            String rel = root.relativize(f).toString().replace('\\', '/');
            ImageSizeReader.ImageSize size;
            List<String> captions;
            try {
                size = ImageSizeReader.read(f);
                captions = Captions.of(f, d);
            } catch (IOException e) {
                log.accept("dataset '" + d.id() + "': skipped " + f + ": " + e.getMessage());
                continue;
            }
            int w = size.width(), h = size.height();
            if (!BucketMath.meetsMinimum(d, w, h)) {
                log.accept("dataset '" + d.id() + "': skipped " + f + ": " + w + "x" + h + " is below minimum_image_size " + d.minimumImageSize());
                continue;
            }
            double a = w / (double) h;
            if ((d.minimumAspectRatio() != null && a < d.minimumAspectRatio()) || (d.maximumAspectRatio() != null && a > d.maximumAspectRatio())) {
                log.accept("dataset '" + d.id() + "': skipped " + f + ": aspect ratio " + String.format(Locale.ROOT, "%.3f", a) + " is outside the dataset's limits");
                continue;
            }
            SeededRandom r = new SeededRandom(SeededRandom.mix(seed, SeededRandom.hash(d.id()), SeededRandom.hash(rel)));
            entries.add(new ImageEntry(f, rel, captions, BucketMath.plan(d, w, h, r.nextDouble(), r.nextDouble())));
        }
        return new ImageDataset(d, List.copyOf(entries));
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
