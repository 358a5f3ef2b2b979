package flux2.model.image;

import flux2.tensor.Tensor;
import flux2.tensor.io.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading PNG, JPEG, WebP, BMP, GIF and TIFF files as upright RGB (EXIF orientation applied, grayscale and CMYK
 * converted, alpha composited on white or refused) and writing 8-bit PNG files. Before pixels are decoded the
 * header's size is checked against a pixel limit (a small file can declare a huge image) and the file's structure is
 * checked ({@link PngChunks}, {@link JpegMarkers}), so that a truncated or damaged file is refused with the reason
 * rather than decoded as grey. Conversion to floats goes row by row into the result or into a streaming resize,
 * so no full-size float copy of a large image is made.
 */
public final class ImageFiles {
    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins(); // the WebP and CMYK-capable JPEG readers come as ImageIO plugins
    }

    /**
     * The default pixel limit: Pillow's decompression-bomb error threshold (twice its MAX_IMAGE_PIXELS of 89,478,485),
     * above which Pillow, and so SimpleTuner, refuses to open an image.
     */
    public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

    /**
     * {@link #readResized} decodes only every s-th pixel of each row and column (ImageIO source subsampling) when the
     * image stays at least this many times the target size on both sides, so that the Lanczos filter that follows
     * still shrinks by this factor or more.
     */
    static final int SUBSAMPLING_MARGIN = 4;

    private ImageFiles() {}

    /** The image in a file, alpha composited on white. */
    public static RgbImage read(Path file) throws ImageLoadException { return read(file, AlphaPolicy.WHITE); }

    /** The image in a file, refused above {@link #DEFAULT_MAX_PIXELS}; every failure is an {@link ImageLoadException} naming the file. */
    public static RgbImage read(Path file, AlphaPolicy alpha) throws ImageLoadException { return read(file, alpha, DEFAULT_MAX_PIXELS); }

    /** The image in a file, refused without decoding when its header declares more than {@code maxPixels} pixels. */
    public static RgbImage read(Path file, AlphaPolicy alpha, long maxPixels) throws ImageLoadException {
        return load(file, alpha, maxPixels, 0, 0);
    }

    /**
     * The image in a file resized (Lanczos) to {@code width} x {@code height} as displayed: equal to
     * {@code Lanczos.resize(read(file, alpha, maxPixels), width, height)} without holding the full-size image as
     * floats; when it is at least {@link #SUBSAMPLING_MARGIN} times the target on both sides, the decoder skips pixels
     * so that the decoded image also stays small.
     */
    public static RgbImage readResized(Path file, AlphaPolicy alpha, long maxPixels, int width, int height) throws ImageLoadException {
        if (width < 1 || height < 1) throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        return load(file, alpha, maxPixels, width, height);
    }

    /** Work done with a reader positioned on an image's input. */
    interface ReaderWork<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs {@code work} with the format's reader on {@code in}; every failure becomes an {@link ImageLoadException} naming the file. */
    static <T> T withReader(Path file, ImageFormat format, ImageInputStream in, ReaderWork<T> work) throws ImageLoadException {
        if (in == null) throw new ImageLoadException(file, "cannot open the file", null);
        ImageReader reader = reader(format);
        if (reader == null) throw new ImageLoadException(file, "no ImageIO reader for " + format + " is installed", null);
        try {
            reader.setInput(in, true, true);
            return work.apply(reader);
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageLoadException(file, "corrupt or unsupported " + format + " image: " + e.getMessage(), e);
        } finally {
            reader.dispose();
        }
    }

    private static RgbImage load(Path file, AlphaPolicy alpha, long maxPixels, int width, int height) throws ImageLoadException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException | OutOfMemoryError e) { // a file above 2 GiB cannot be held in an array
            throw new ImageLoadException(file, "cannot read the file: " + e, e);
        }
        ImageFormat format = ImageFormat.detect(bytes);
        if (format == null) throw new ImageLoadException(file, "not a " + ImageFormat.NAMES + " image", null);
        if (format == ImageFormat.PNG) PngChunks.check(file, bytes);
        if (format == ImageFormat.JPEG) JpegMarkers.check(file, bytes);
        int orientation = ExifOrientation.read(bytes, format);
        try (ImageInputStream in = new BytesImageInputStream(bytes)) {
            return withReader(file, format, in, r -> {
                int w = r.getWidth(0), h = r.getHeight(0);
                if (w < 1 || h < 1) throw new ImageLoadException(file, "the image has no pixels (" + w + "x" + h + ")", null);
                if ((long) w * h > maxPixels)
                    throw new ImageLoadException(file, "the header declares " + w + "x" + h + " = " + (long) w * h + " pixels, above the limit of "
                            + maxPixels + " pixels; it is not decoded", null);
                boolean swap = orientation >= 5 && orientation <= 8;
                int tw = width > 0 ? width : swap ? h : w, th = height > 0 ? height : swap ? w : h;
                ImageReadParam param = r.getDefaultReadParam();
                int s = subsampling(w, h, swap ? th : tw, swap ? tw : th);
                if (s > 1) param.setSourceSubsampling(s, s, 0, 0);
                BufferedImage img = r.read(0, param);
                if (img == null) throw new ImageLoadException(file, "the " + format + " reader returned no image", null);
                return UprightRows.convert(file, img, orientation, alpha, tw, th);
            });
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageLoadException(file, "cannot read the file: " + e, e);
        }
    }

    /** The subsampling step for a stored w x h image whose target (in stored orientation) is tw x th. */
    static int subsampling(int w, int h, int tw, int th) {
        return Math.max(1, Math.min(w / (SUBSAMPLING_MARGIN * tw), h / (SUBSAMPLING_MARGIN * th)));
    }

    /** Writes an image tensor [3, H, W] or [1, 3, H, W] in [-1, 1] as an 8-bit PNG (clamped, rounded). */
    public static void writePng(Tensor image, Path file) throws IOException { writePng(RgbImage.fromTensor(image), file); }

    /** Writes an image as an 8-bit PNG (values rounded and clamped to [0, 255]), replacing the file atomically. */
    public static void writePng(RgbImage img, Path file) throws IOException {
        int w = img.width(), h = img.height();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                row[x] = (level(img.get(0, x, y)) << 16) | (level(img.get(1, x, y)) << 8) | level(img.get(2, x, y));
            out.setRGB(0, y, w, 1, row, 0, w);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.writeStream(file, s -> {
            if (!ImageIO.write(out, "png", s)) throw new IOException("no PNG writer available");
        });
    }

    private static int level(float v) { return Math.clamp(Math.round(v), 0, 255); }

    /** A reader for the format; for JPEG the plugin one, which also reads CMYK and YCCK files. */
    private static ImageReader reader(ImageFormat format) {
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.readerName());
        ImageReader first = null;
        while (it.hasNext()) {
            ImageReader r = it.next();
            if (format == ImageFormat.JPEG && r.getClass().getName().startsWith("com.twelvemonkeys")) {
                if (first != null) first.dispose();
                return r;
            }
            if (first == null) first = r;
            else r.dispose();
        }
        return first;
    }
}
