package flux2.trainer.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The image files under a dataset folder, recursively and sorted by their path inside it. Symbolic links are followed,
 * the folder itself included (a dataset folder is often a link to shared storage); a link back to a folder above it
 * is reported and not entered, so a loop cannot make the walk endless. Files with the extension of an image format
 * this trainer does not read are reported, other files (captions, notes) are passed over silently.
 */
public final class ImageFolder {
    /** Extensions of the formats read (SimpleTuner's image extensions that decode here). */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff");

    /** Extensions of image formats SimpleTuner (Pillow and its plugins) may open that have no reader here. */
    static final Set<String> UNREAD_IMAGE_EXTENSIONS = Set.of("avif", "heic", "heif", "jxl", "jp2", "j2k", "ico", "tga", "ppm", "pgm",
            "pbm", "pnm", "psd", "dds", "pcx", "qoi", "jfif");

    private ImageFolder() {}

    /** Whether a file's extension is one of the image formats read here. */
    public static boolean isImage(Path file) {
        return IMAGE_EXTENSIONS.contains(extension(file));
    }

    /** A file left out of a dataset and why, for messages and counts. */
    record Skipped(Path file, String reason) {}

    /** The image files under {@code root}; each file or link left out goes to {@code skipped}. */
    static List<Path> list(Path root, String what, Consumer<Skipped> skipped) {
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    if (attrs.isSymbolicLink()) // followed links arrive with their target's attributes: this one leads nowhere
                        skipped.accept(new Skipped(f, "a link to " + readLink(f) + ", which does not exist"));
                    if (!attrs.isRegularFile()) return FileVisitResult.CONTINUE;
                    String ext = extension(f);
                    if (IMAGE_EXTENSIONS.contains(ext)) files.add(f);
                    else if (UNREAD_IMAGE_EXTENSIONS.contains(ext))
                        skipped.accept(new Skipped(f, "." + ext + " images are not read here (PNG, JPEG, WebP, BMP, GIF and TIFF are): convert it"));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    if (f.equals(root)) throw e;
                    if (e instanceof FileSystemLoopException)
                        skipped.accept(new Skipped(f, "a link back to a folder above it (a loop); not followed"));
                    else skipped.accept(new Skipped(f, "cannot be read: " + e));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + what + " folder " + root + ": " + e, e);
        }
        files.sort((a, b) -> relative(root, a).compareTo(relative(root, b)));
        return files;
    }

    /** The path of {@code f} inside {@code root} with '/' separators. */
    static String relative(Path root, Path f) { return root.relativize(f).toString().replace('\\', '/'); }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    private static String readLink(Path f) {
        try {
            return Files.readSymbolicLink(f).toString();
        } catch (IOException e) {
            return "?";
        }
    }
}
