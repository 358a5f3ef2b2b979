package flux2.model.image;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The EXIF orientation tag (0x0112) of a JPEG (APP1), PNG (eXIf), WebP (EXIF chunk) or TIFF (its first IFD)
 * file, and the transform that shows the image upright. Values 1..8 as in the EXIF standard; 1 when absent or unreadable.
 */
public final class ExifOrientation {
    private ExifOrientation() {}

    /** The orientation stored in a file's bytes (1 if there is none). */
    public static int read(byte[] file, ImageFormat format) { return read(ByteBuffer.wrap(file), format); }

    /** The orientation stored in a file whose bytes are {@code file} from position 0 (1 if there is none). */
    public static int read(ByteBuffer file, ImageFormat format) {
        try {
            ByteBuffer tiff = switch (format) {
                case JPEG -> jpegExif(file);
                case PNG -> pngExif(file);
                case WEBP -> webpExif(file);
                case TIFF -> file.duplicate(); // a TIFF file is itself the structure that holds the tag
                case BMP, GIF -> null;
            };
            return tiff == null ? 1 : tiffOrientation(tiff);
        } catch (RuntimeException e) {
            return 1; // a damaged EXIF block leaves the image as stored
        }
    }

    /** The image transformed so that it shows upright for orientation {@code o}. */
    public static RgbImage apply(RgbImage img, int o) {
        if (o <= 1 || o > 8) return img;
        int w = img.width(), h = img.height();
        boolean swap = o >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        float[] out = new float[3 * ow * oh];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++) {
                    // (sx, sy): the stored pixel shown at (x, y).
                    int sx, sy;
                    switch (o) {
                        case 2 -> { sx = w - 1 - x; sy = y; }
                        case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                        case 4 -> { sx = x; sy = h - 1 - y; }
                        case 5 -> { sx = y; sy = x; }
                        case 6 -> { sx = y; sy = h - 1 - x; }
                        case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                        default -> { sx = w - 1 - y; sy = x; }
                    }
                    out[(c * oh + y) * ow + x] = img.get(c, sx, sy);
                }
        return new RgbImage(ow, oh, out);
    }

    private static ByteBuffer jpegExif(ByteBuffer b) {
        int p = 2, n = b.limit();
        while (p + 4 <= n && u8(b, p) == 0xFF) {
            int marker = u8(b, p + 1);
            if (marker == 0xD9 || marker == 0xDA) return null; // end of image or start of scan: no more metadata
            int len = (u8(b, p + 2) << 8) | u8(b, p + 3);
            if (marker == 0xE1 && len >= 8 && startsWith(b, p + 4, "Exif\0\0"))
                return b.slice(p + 10, Math.min(len - 8, n - p - 10));
            p += 2 + len;
        }
        return null;
    }

    private static ByteBuffer pngExif(ByteBuffer b) {
        int p = 8, n = b.limit();
        while (p + 12 <= n) {
            int len = b.duplicate().order(ByteOrder.BIG_ENDIAN).getInt(p);
            if (len < 0 || p + 12L + len > n) return null;
            if (startsWith(b, p + 4, "eXIf")) return b.slice(p + 8, len);
            if (startsWith(b, p + 4, "IDAT")) return null; // eXIf must come before the image data
            p += 12 + len;
        }
        return null;
    }

    private static ByteBuffer webpExif(ByteBuffer b) {
        int p = 12, n = b.limit();
        while (p + 8 <= n) {
            int len = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(p + 4);
            if (len < 0 || p + 8L + len > n) return null;
            if (startsWith(b, p, "EXIF")) {
                int at = p + 8, size = len;
                if (startsWith(b, at, "Exif\0\0")) { at += 6; size -= 6; } // some writers keep the JPEG prefix
                return b.slice(at, size);
            }
            p += 8 + len + (len & 1);
        }
        return null;
    }

    /** Orientation from a TIFF structure (header, then IFD0 entries of 12 bytes). */
    private static int tiffOrientation(ByteBuffer t) {
        if (t.get(0) == 'I' && t.get(1) == 'I') t.order(ByteOrder.LITTLE_ENDIAN);
        else if (t.get(0) == 'M' && t.get(1) == 'M') t.order(ByteOrder.BIG_ENDIAN);
        else return 1;
        if (t.getShort(2) != 42) return 1;
        int ifd = t.getInt(4), count = t.getShort(ifd) & 0xFFFF;
        for (int i = 0; i < count; i++) {
            int e = ifd + 2 + 12 * i;
            if ((t.getShort(e) & 0xFFFF) == 0x0112) {
                int v = t.getShort(e + 8) & 0xFFFF;
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static int u8(ByteBuffer b, int at) { return b.get(at) & 0xFF; }

    private static boolean startsWith(ByteBuffer b, int at, String s) {
        if (at < 0 || at + s.length() > b.limit()) return false;
        for (int i = 0; i < s.length(); i++) if (b.get(at + i) != (byte) s.charAt(i)) return false;
        return true;
    }
}
