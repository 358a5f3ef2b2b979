package flux2.trainer.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Reads an image's displayed width and height from its header, without decoding pixels. JPEG EXIF orientations
 * 5-8 (rotated 90 or 270 degrees) swap width and height, as viewers and SimpleTuner's loader show them.
 */
public final class ImageSizeReader {
    private ImageSizeReader() {}

    /** Width and height in pixels as displayed. */
    public record ImageSize(int width, int height) {}

    /** The displayed size; throws IOException naming the problem when the file is not a readable image. */
    public static ImageSize read(Path file) throws IOException {
        int w, h;
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) throw new IOException("cannot open");
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException("not an image format this program reads");
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                w = r.getWidth(0);
                h = r.getHeight(0);
            } finally {
                r.dispose();
            }
        } catch (RuntimeException e) { // ImageIO plugins signal corrupt headers with unchecked exceptions too
            throw new IOException("corrupt image header: " + e.getMessage(), e);
        }
        if (w <= 0 || h <= 0) throw new IOException("image has no pixels");
        int orientation = jpegOrientation(file);
        return orientation >= 5 && orientation <= 8 ? new ImageSize(h, w) : new ImageSize(w, h);
    }

    /** The EXIF orientation tag (1-8) of a JPEG file, or 1 when absent or not a JPEG. */
    static int jpegOrientation(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
            if (in.readUnsignedShort() != 0xFFD8) return 1;
            while (true) {
                int marker = in.readUnsignedShort();
                if ((marker & 0xFF00) != 0xFF00 || marker == 0xFFDA || marker == 0xFFD9) return 1; // pixels start: no EXIF before them
                int len = in.readUnsignedShort() - 2;
                if (len < 0) return 1;
                if (marker == 0xFFE1 && len > 14) {
                    byte[] seg = in.readNBytes(len);
                    if (new String(seg, 0, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) return tiffOrientation(seg, 6);
                } else {
                    in.skipNBytes(len);
                }
            }
        } catch (EOFException e) {
            return 1;
        }
    }

    private static int tiffOrientation(byte[] seg, int start) {
        ByteBuffer b = ByteBuffer.wrap(seg);
        if (seg.length < start + 8) return 1;
        b.order(seg[start] == 'I' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int ifd = start + b.getInt(start + 4);
        if (ifd < start || ifd + 2 > seg.length) return 1;
        int n = b.getShort(ifd) & 0xFFFF;
        for (int i = 0; i < n; i++) {
            int e = ifd + 2 + 12 * i;
            if (e + 12 > seg.length) return 1;
            if ((b.getShort(e) & 0xFFFF) == 0x0112) return b.getShort(e + 8) & 0xFFFF;
        }
        return 1;
    }
}
