package flux2.model.image;

import java.nio.file.Path;

/**
 * Checks that a JPEG file reaches its end-of-image marker. The JDK decoder fills the rest of a truncated file with
 * grey and only warns; Pillow (and so SimpleTuner) refuses such a file as truncated, and so does this check. Marker
 * segments are skipped by their lengths; inside entropy-coded data 0xFF is always followed by 0x00 (a stuffed byte)
 * or a restart marker, so the first other marker ends the scan (another segment of a progressive file, or EOI).
 */
final class JpegMarkers {
    private JpegMarkers() {}

    static void check(Path file, byte[] b) throws ImageLoadException {
        int p = 2;
        boolean scanned = false;
        while (true) {
            while (p < b.length && (b[p] & 0xFF) == 0xFF && p + 1 < b.length && (b[p + 1] & 0xFF) == 0xFF) p++; // fill bytes
            if (p + 2 > b.length) throw truncated(file, b, scanned);
            if ((b[p] & 0xFF) != 0xFF)
                throw new ImageLoadException(file, "damaged JPEG: byte " + p + " should start a marker (0xFF) but is "
                        + String.format("0x%02X", b[p] & 0xFF), null);
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xD9) return; // end of image
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                p += 2; // markers without a length
                continue;
            }
            if (p + 4 > b.length) throw truncated(file, b, scanned);
            int len = ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
            if (len < 2) throw new ImageLoadException(file, "damaged JPEG: the segment at byte " + p + " declares length " + len, null);
            p += 2 + len;
            if (p > b.length) throw truncated(file, b, scanned);
            if (marker == 0xDA) { // start of scan: skip the entropy-coded data up to the next marker
                scanned = true;
                while (true) {
                    if (p + 1 >= b.length) throw truncated(file, b, true);
                    if ((b[p] & 0xFF) == 0xFF) {
                        int next = b[p + 1] & 0xFF;
                        if (next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7)) break;
                    }
                    p++;
                }
            }
        }
    }

    private static ImageLoadException truncated(Path file, byte[] b, boolean scanned) {
        return new ImageLoadException(file, "truncated JPEG: the file ends at byte " + b.length + (scanned ? " inside the image data" : " before the image data")
                + ", without its end-of-image marker", null);
    }
}
