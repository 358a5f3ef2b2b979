package flux2.server;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.DatasetType;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.data.DatasetScanner;
import flux2.trainer.data.ImageFolder;
import flux2.trainer.data.ImageDataset;
import flux2.trainer.data.ImageEntry;
import flux2.trainer.data.ReferencePairing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The datasets of a validated config as the Datasets page shows them: each image dataset with its image count and
 * the captions the trainer would read, each conditioning dataset with its pairing to the image datasets it serves
 * (by file name without extension, as the trainer pairs them) and the images on either side without a partner, and
 * the text-embedding caches. Also the image files themselves and textfile caption edits.
 */
public final class DatasetCatalog {
    /** At most this many images of a dataset are listed (the count is always the full one). */
    public static final int LISTED = 2000;
    private final ProjectRoot root;

    public DatasetCatalog(ProjectRoot root) {
        this.root = root;
    }

    /** Every dataset of {@code config}, in file order, as JSON-ready maps. */
    public List<Map<String, Object>> describe(TrainConfig config) {
        Map<String, ImageDataset> scanned = new LinkedHashMap<>();
        List<Map<String, Object>> out = new ArrayList<>();
        for (DatasetConfig d : config.datasets()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("type", d.datasetType().name().toLowerCase(Locale.ROOT));
            out.add(m);
            if (d.datasetType() == DatasetType.TEXT_EMBEDS) {
                m.put("cache_dir", d.cacheDir() == null ? null : root.display(d.cacheDir()));
                m.put("default", d.isDefault());
                continue;
            }
            m.put("folder", root.display(d.instanceDataDir()));
            if (!root.contains(d.instanceDataDir())) {
                m.put("error", "the folder is outside the project folder: the server does not read it");
                continue;
            }
            if (d.datasetType() == DatasetType.IMAGE) {
                List<String> skipped = new ArrayList<>();
                ImageDataset ds = DatasetScanner.scan(d, 0, skipped::add);
                scanned.put(d.id(), ds);
                m.put("caption_strategy", d.captionStrategy().name().toLowerCase(Locale.ROOT));
                m.put("captions_editable", editable(d));
                m.put("count", ds.entries().size());
                List<Map<String, Object>> images = new ArrayList<>();
                for (ImageEntry e : ds.entries().subList(0, Math.min(LISTED, ds.entries().size()))) {
                    Map<String, Object> i = new LinkedHashMap<>();
                    i.put("path", e.relativePath());
                    i.put("captions", e.captions());
                    // what an edit replaces: the text file as written (the captions may carry instance_prompt before it)
                    if (editable(d)) i.put("text", captionText(e.file()));
                    images.add(i);
                }
                m.put("images", images);
                m.put("skipped", skipped);
                m.put("conditioning", d.conditioningData());
            } else {
                List<String> files = imageFiles(d.instanceDataDir());
                m.put("conditioning_type", d.conditioningType() == null ? null : d.conditioningType().name().toLowerCase(Locale.ROOT));
                m.put("count", files.size());
                m.put("images", files.subList(0, Math.min(LISTED, files.size())).stream().map(p -> Map.of("path", p)).toList());
            }
        }
        // the pairings, once every image dataset is scanned
        for (Map<String, Object> m : out) {
            if (!"conditioning".equals(m.get("type")) || m.containsKey("error")) continue;
            DatasetConfig cond = dataset(config, (String) m.get("id"));
            Set<String> refs = new LinkedHashSet<>();
            for (String f : imageFiles(cond.instanceDataDir())) refs.add(ReferencePairing.stem(f));
            List<Map<String, Object>> pairings = new ArrayList<>();
            Set<String> used = new LinkedHashSet<>();
            for (DatasetConfig d : config.datasets()) {
                ImageDataset ds = scanned.get(d.id());
                if (ds == null || !d.conditioningData().contains(cond.id())) continue;
                List<String> missing = new ArrayList<>();
                int pairs = 0;
                for (ImageEntry e : ds.entries()) {
                    String stem = ReferencePairing.stem(e.relativePath());
                    if (refs.contains(stem)) {
                        pairs++;
                        used.add(stem);
                    } else missing.add(e.relativePath());
                }
                pairings.add(Map.of("dataset", d.id(), "pairs", pairs, "images_without_reference", missing));
            }
            m.put("paired_with", pairings);
            m.put("references_without_image", refs.stream().filter(s -> !used.contains(s)).toList());
        }
        return out;
    }

    /** The image {@code relative} of dataset {@code id}; 403 outside the project or dataset folder, 404 when it is not there. */
    public Path image(TrainConfig config, String id, String relative) {
        DatasetConfig d = dataset(config, id);
        if (d.instanceDataDir() == null) throw ApiError.notFound("dataset '" + id + "' has no images");
        Path folder = root.check(d.instanceDataDir());
        Path f = root.resolve(folder, relative);
        if (!Files.isRegularFile(f) || !isImage(f)) throw ApiError.notFound("dataset '" + id + "' has no image " + relative);
        return f;
    }

    /** Writes {@code caption} as the textfile caption of an image of dataset {@code id} (atomically). */
    public Path setCaption(TrainConfig config, String id, String relative, String caption) throws IOException {
        DatasetConfig d = dataset(config, id);
        if (!editable(d))
            throw ApiError.conflict("dataset '" + id + "' takes its captions from " + (d.captionStrategy() == DatasetConfig.CaptionStrategy.TEXTFILE
                    ? "instance_prompt" : "caption_strategy " + d.captionStrategy().name().toLowerCase(Locale.ROOT)) + ", not from text files: edit its multidatabackend.json entry instead");
        if (caption.isBlank()) throw ApiError.badRequest("an empty caption: the trainer skips an image whose caption file is empty");
        Path txt = root.check(captionFile(image(config, id, relative)));
        AtomicFiles.write(txt, caption.strip() + "\n");
        return txt;
    }

    private static String captionText(Path image) {
        try {
            return Files.readString(captionFile(image)).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static Path captionFile(Path image) {
        String name = image.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return image.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".txt");
    }

    private static boolean editable(DatasetConfig d) {
        return d.datasetType() == DatasetType.IMAGE && d.captionStrategy() == DatasetConfig.CaptionStrategy.TEXTFILE && !d.onlyInstancePrompt();
    }

    private static DatasetConfig dataset(TrainConfig config, String id) {
        return config.datasets().stream().filter(d -> d.id().equals(id)).findFirst()
                .orElseThrow(() -> ApiError.notFound("no dataset '" + id + "' in this environment's multidatabackend.json (or it is disabled)"));
    }

    private static List<String> imageFiles(Path folder) {
        if (!Files.isDirectory(folder)) return List.of();
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).filter(DatasetCatalog::isImage).map(p -> folder.relativize(p).toString().replace('\\', '/')).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }

    private static boolean isImage(Path p) {
        return ImageFolder.isImage(p);
    }
}
