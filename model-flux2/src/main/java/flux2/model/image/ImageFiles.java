package flux2.model.image;

import flux2.tensor.Tensor;
import flux2.tensor.io.AtomicFiles;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reading PNG, JPEG, BMP and WebP files as upright RGB (EXIF orientation applied, grayscale and CMYK
 * converted, alpha composited on white or refused) and writing 8-bit PNG files.
 */
public final class ImageFiles {
    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins(); // the WebP and CMYK-capable JPEG readers come as ImageIO plugins
    }

    private ImageFiles() {}

    /** The image in a file, alpha composited on white. */
    public static RgbImage read(Path file) throws ImageLoadException { return read(file, AlphaPolicy.WHITE); }

    /** The image in a file; every failure is an {@link ImageLoadException} naming the file. */
    public static RgbImage read(Path file, AlphaPolicy alpha) throws ImageLoadException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ImageLoadException(file, "cannot read the file: " + e, e);
        }
        ImageFormat format = ImageFormat.detect(bytes);
        if (format == null) throw new ImageLoadException(file, "not a PNG, JPEG, BMP or WebP image", null);
        BufferedImage img = decode(file, bytes, format);
        RgbImage rgb = toRgb(file, img, alpha);
        return ExifOrientation.apply(rgb, ExifOrientation.read(bytes, format));
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

    private static BufferedImage decode(Path file, byte[] bytes, ImageFormat format) throws ImageLoadException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = reader(format);
            if (reader == null) throw new ImageLoadException(file, "no ImageIO reader for " + format + " is installed", null);
            try {
                reader.setInput(in, true, true);
                BufferedImage img = reader.read(0);
                if (img == null) throw new ImageLoadException(file, "the " + format + " reader returned no image", null);
                return img;
            } finally {
                reader.dispose();
            }
        } catch (ImageLoadException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageLoadException(file, "corrupt or unsupported " + format + " image: " + e.getMessage(), e);
        }
    }

    /** A reader for the format; for JPEG the plugin one, which also reads CMYK and YCCK files. */
    private static ImageReader reader(ImageFormat format) {
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format.name().toLowerCase());
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

    private static RgbImage toRgb(Path file, BufferedImage img, AlphaPolicy policy) throws ImageLoadException {
        int w = img.getWidth(), h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        // Gray samples are taken as they are: converting through the linear gray color space would brighten them.
        boolean gray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1;
        float[] out = new float[3 * w * h];
        int plane = w * h;
        boolean transparent = false;
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            if (!gray) img.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                float r, g, b, a;
                if (gray) {
                    r = g = b = scaled(raster, x, y, 0, cm);
                    a = cm.hasAlpha() ? scaled(raster, x, y, 1, cm) : 255;
                } else {
                    int p = argb[x];
                    a = p >>> 24;
                    r = (p >> 16) & 0xFF;
                    g = (p >> 8) & 0xFF;
                    b = p & 0xFF;
                }
                if (a < 255) {
                    transparent = true;
                    float k = a / 255f;
                    r = r * k + 255 * (1 - k);
                    g = g * k + 255 * (1 - k);
                    b = b * k + 255 * (1 - k);
                }
                int i = y * w + x;
                out[i] = r;
                out[plane + i] = g;
                out[2 * plane + i] = b;
            }
        }
        if (transparent && policy == AlphaPolicy.REJECT)
            throw new ImageLoadException(file, "has transparent pixels and transparency is refused (alpha policy REJECT)", null);
        return new RgbImage(w, h, out);
    }

    /** A gray or alpha sample of any bit depth as a value in [0, 255]. */
    private static float scaled(Raster raster, int x, int y, int band, ColorModel cm) {
        int bits = cm.getComponentSize(band);
        float v = raster.getSample(x, y, band);
        return bits == 8 ? v : Math.round(v * 255f / ((1L << bits) - 1));
    }
}
