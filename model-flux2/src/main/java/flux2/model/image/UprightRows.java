package flux2.model.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.nio.file.Path;

/**
 * Turns a decoded image into upright RGB floats one displayed row at a time (EXIF orientation applied while reading,
 * gray samples kept as they are, alpha composited on white), feeding either the result directly or a streaming
 * {@link Lanczos.Rows} resize. The values are those of converting the whole image, turning it with
 * {@link ExifOrientation#apply} and resizing it with {@link Lanczos#resize}.
 */
final class UprightRows {
    private UprightRows() {}

    /** The image upright at tw x th (resized unless that is its displayed size). */
    static RgbImage convert(Path file, BufferedImage img, int orientation, AlphaPolicy policy, int tw, int th) throws ImageLoadException {
        int o = orientation >= 1 && orientation <= 8 ? orientation : 1;
        int w = img.getWidth(), h = img.getHeight();
        boolean swap = o >= 5;
        int dw = swap ? h : w, dh = swap ? w : h;
        boolean direct = tw == dw && th == dh;
        Lanczos.Rows resize = direct ? null : new Lanczos.Rows(dw, dh, tw, th);
        float[] out = direct ? new float[3 * dw * dh] : null;
        float[] row = direct ? new float[3 * dw] : resize.rowBuffer();
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        // Gray samples are taken as they are: converting through the linear gray color space would brighten them.
        boolean gray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1;
        int[] argb = new int[Math.max(w, h)];
        boolean transparent = false;
        for (int y = 0; y < dh; y++) {
            // the stored line that holds displayed row y: a row for orientations 1-4, a column for 5-8
            int line = switch (o) {
                case 1, 2 -> y;
                case 3, 4 -> h - 1 - y;
                case 5, 6 -> y;
                default -> w - 1 - y;
            };
            if (!gray) {
                if (swap) img.getRGB(line, 0, 1, h, argb, 0, 1);
                else img.getRGB(0, line, w, 1, argb, 0, w);
            }
            for (int x = 0; x < dw; x++) {
                // (sx, sy): the stored pixel shown at (x, y)
                int sx, sy;
                switch (o) {
                    case 1, 4 -> { sx = x; sy = line; }
                    case 2, 3 -> { sx = w - 1 - x; sy = line; }
                    case 5, 8 -> { sx = line; sy = x; }
                    default -> { sx = line; sy = h - 1 - x; }
                }
                float r, g, b, a;
                if (gray) {
                    r = g = b = scaled(raster, sx, sy, 0, cm);
                    a = cm.hasAlpha() ? scaled(raster, sx, sy, 1, cm) : 255;
                } else {
                    int p = argb[swap ? sy : sx];
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
                row[x] = r;
                row[dw + x] = g;
                row[2 * dw + x] = b;
            }
            if (direct) for (int c = 0; c < 3; c++) System.arraycopy(row, c * dw, out, (c * dh + y) * dw, dw);
            else resize.accept(row);
        }
        if (transparent && policy == AlphaPolicy.REJECT)
            throw new ImageLoadException(file, "has transparent pixels and transparency is refused (alpha policy REJECT)", null);
        return direct ? new RgbImage(dw, dh, out) : resize.result();
    }

    /** A gray or alpha sample of any bit depth as a value in [0, 255]. */
    private static float scaled(Raster raster, int x, int y, int band, ColorModel cm) {
        int bits = cm.getComponentSize(band);
        float v = raster.getSample(x, y, band);
        return bits == 8 ? v : Math.round(v * 255f / ((1L << bits) - 1));
    }
}
