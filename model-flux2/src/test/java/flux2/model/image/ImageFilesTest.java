package flux2.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading every format, orientation, alpha, grayscale, corrupt files, and PNG writing. */
class ImageFilesTest {
    @TempDir Path dir;

    /** The pattern of the WebP fixtures (made with cwebp from a PNG of this pattern): r, g, b, alpha. */
    private static int[] pattern(int x, int y) { return new int[]{x * 15, y * 20, (3 * x + 5 * y) % 256, x < 8 ? 255 : 128}; }

    private static BufferedImage patternImage(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int[] p = pattern(x % 16, y % 12);
                img.setRGB(x, y, (p[3] << 24) | (p[0] << 16) | (p[1] << 8) | p[2]);
            }
        return img;
    }

    private Path write(BufferedImage img, String format, String name) throws IOException {
        Path f = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, f.toFile()), "a writer for " + format);
        return f;
    }

    private static void assertPattern(RgbImage img, double tolerance, boolean alphaOnWhite) {
        double worst = 0;
        for (int y = 0; y < img.height(); y++)
            for (int x = 0; x < img.width(); x++) {
                int[] p = pattern(x % 16, y % 12);
                float k = alphaOnWhite ? p[3] / 255f : 1;
                for (int c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(img.get(c, x, y) - (p[c] * k + 255 * (1 - k))));
            }
        assertTrue(worst <= tolerance, "largest difference " + worst);
    }

    /** Lossy formats: the mean absolute difference from the pattern stays small. */
    private static void assertNearPattern(RgbImage img) {
        double sum = 0;
        for (int y = 0; y < img.height(); y++)
            for (int x = 0; x < img.width(); x++)
                for (int c = 0; c < 3; c++) sum += Math.abs(img.get(c, x, y) - pattern(x % 16, y % 12)[c]);
        double mean = sum / (3.0 * img.width() * img.height());
        assertTrue(mean < 8, "mean absolute difference " + mean);
    }

    private Path resource(String name) throws IOException {
        Path f = dir.resolve(name);
        try (InputStream in = getClass().getResourceAsStream(name)) {
            Files.copy(in, f);
        }
        return f;
    }

    @Test
    void pngBmpAndLosslessWebpAreExact() throws IOException {
        assertPattern(ImageFiles.read(write(patternImage(16, 12, BufferedImage.TYPE_INT_RGB), "png", "a.png")), 0, false);
        assertPattern(ImageFiles.read(write(patternImage(16, 12, BufferedImage.TYPE_INT_RGB), "bmp", "a.bmp")), 0, false);
        assertPattern(ImageFiles.read(resource("lossless.webp")), 0, false);
    }

    @Test
    void jpegAndLossyWebpAreClose() throws IOException {
        RgbImage jpeg = ImageFiles.read(write(patternImage(32, 24, BufferedImage.TYPE_INT_RGB), "jpeg", "a.jpg"));
        assertEquals(32, jpeg.width());
        assertNearPattern(jpeg);
        assertNearPattern(ImageFiles.read(resource("lossy.webp")));
    }

    @Test
    void alphaIsCompositedOnWhiteOrRefused() throws IOException {
        assertPattern(ImageFiles.read(resource("lossless-alpha.webp")), 1e-3, true);
        Path png = write(patternImage(16, 12, BufferedImage.TYPE_INT_ARGB), "png", "alpha.png");
        assertPattern(ImageFiles.read(png), 1e-3, true);
        var e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(png, AlphaPolicy.REJECT));
        assertTrue(e.getMessage().contains("alpha.png") && e.getMessage().contains("transparent"), e.getMessage());
        // An alpha channel that is opaque everywhere is no reason to refuse.
        Path opaque = write(patternImage(4, 4, BufferedImage.TYPE_INT_ARGB), "png", "opaque.png");
        assertPattern(ImageFiles.read(opaque, AlphaPolicy.REJECT), 0, false);
    }

    @Test
    void grayscaleSamplesAreKeptAsTheyAre() throws IOException {
        BufferedImage gray = new BufferedImage(5, 3, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) gray.getRaster().setSample(x, y, 0, 40 * x + 10 * y);
        RgbImage img = ImageFiles.read(write(gray, "png", "gray.png"));
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 5; x++)
                for (int c = 0; c < 3; c++) assertEquals(40 * x + 10 * y, img.get(c, x, y));
    }

    @Test
    void cmykJpegBecomesRgb() throws IOException {
        // Left half all four channels 0, right half all 255: no ink and full ink of every colour (or the reverse,
        // as Adobe files store CMYK inverted), so both halves are neutral and far apart in brightness.
        java.awt.image.WritableRaster cmyk = java.awt.image.Raster.createInterleavedRaster(
                java.awt.image.DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int y = 0; y < 16; y++) for (int x = 8; x < 16; x++) for (int b = 0; b < 4; b++) cmyk.setSample(x, y, b, 255);
        Path f = dir.resolve("cmyk.jpg");
        var writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (var out = ImageIO.createImageOutputStream(f.toFile())) {
            writer.setOutput(out);
            writer.write(new javax.imageio.IIOImage(cmyk, null, null));
        } finally {
            writer.dispose();
        }
        // The JDK writes the four components without saying what they are; an Adobe APP14 segment with
        // transform 0 marks them as CMYK, as Photoshop's files do.
        byte[] jpg = Files.readAllBytes(f);
        ByteArrayOutputStream marked = new ByteArrayOutputStream();
        marked.write(jpg, 0, 2);
        marked.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0});
        marked.write(jpg, 2, jpg.length - 2);
        Files.write(f, marked.toByteArray());
        RgbImage img = ImageFiles.read(f);
        assertEquals(16, img.width());
        float left = img.get(0, 2, 8), right = img.get(0, 13, 8);
        System.out.println("CMYK JPEG: all 0 -> " + left + ", " + img.get(1, 2, 8) + ", " + img.get(2, 2, 8) + "; all 255 -> " + right + ", " + img.get(1, 13, 8) + ", " + img.get(2, 13, 8));
        for (int c = 1; c < 3; c++) {
            assertEquals(left, img.get(c, 2, 8), 12);
            assertEquals(right, img.get(c, 13, 8), 12);
        }
        assertTrue(Math.abs(left - right) > 150, left + " vs " + right);
    }

    @Test
    void exifOrientationTurnsTheImageUpright() throws IOException {
        // Stored 3 wide and 2 tall, every pixel different.
        BufferedImage stored = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) stored.setRGB(x, y, (10 * (3 * y + x + 1)) << 16);
        byte[] png = Files.readAllBytes(write(stored, "png", "plain.png"));
        // 6: rotate 90 degrees clockwise to view. The view is 2 x 3; its top-left is the stored bottom-left,
        // its top-right the stored top-left.
        RgbImage six = ImageFiles.read(writeBytes("six.png", withPngExif(png, 6)));
        assertEquals(2, six.width());
        assertEquals(3, six.height());
        assertEquals(40, six.get(0, 0, 0));
        assertEquals(10, six.get(0, 1, 0));
        assertEquals(30, six.get(0, 1, 2));
        // 3: rotate 180. 8: rotate 90 counter-clockwise (top-left of the view is the stored top-right).
        assertEquals(60, ImageFiles.read(writeBytes("three.png", withPngExif(png, 3))).get(0, 0, 0));
        RgbImage eight = ImageFiles.read(writeBytes("eight.png", withPngExif(png, 8)));
        assertEquals(30, eight.get(0, 0, 0));
        assertEquals(40, eight.get(0, 1, 2));
        // JPEG: the APP1 Exif segment; same decoded pixels, turned.
        byte[] jpg = Files.readAllBytes(write(patternImage(32, 16, BufferedImage.TYPE_INT_RGB), "jpeg", "p.jpg"));
        RgbImage upright = ImageFiles.read(writeBytes("p6.jpg", withJpegExif(jpg, 6))), plain = ImageFiles.read(dir.resolve("p.jpg"));
        assertEquals(16, upright.width());
        assertEquals(32, upright.height());
        assertEquals(plain.get(1, 0, 15), upright.get(1, 0, 0));
        assertEquals(plain.get(2, 31, 0), upright.get(2, 15, 31));
    }

    @Test
    void brokenFilesGiveErrorsNamingThem() throws IOException {
        byte[] png = Files.readAllBytes(write(patternImage(16, 12, BufferedImage.TYPE_INT_RGB), "png", "good.png"));
        Path truncated = writeBytes("truncated.png", Arrays.copyOf(png, png.length / 2));
        var e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(truncated));
        assertTrue(e.getMessage().contains("truncated.png: truncated PNG"), e.getMessage());
        assertEquals(truncated, e.file());
        Path text = writeBytes("notes.png", "hello, not an image".getBytes());
        e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(text));
        assertTrue(e.getMessage().contains("notes.png: not a PNG, JPEG, WebP, BMP, GIF or TIFF image"), e.getMessage());
        e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(dir.resolve("missing.jpg")));
        assertTrue(e.getMessage().contains("missing.jpg: cannot read"), e.getMessage());
        Path badWebp = writeBytes("bad.webp", Arrays.copyOf(Files.readAllBytes(resource("lossy.webp")), 40));
        e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(badWebp));
        assertTrue(e.getMessage().contains("bad.webp"), e.getMessage());
    }

    @Test
    void tensorsGoToPngClampedAndRounded() throws IOException {
        try (TensorArena a = TensorArena.open("test")) {
            // -1 -> 0, 1 -> 255, values beyond clamp, 0 -> 127.5 rounds to 128.
            Tensor t = Tensor.of(new float[]{-1, 1, 3, -7, 0, 0.5f}, 1, 3, 1, 2);
            Path f = dir.resolve("out/t.png");
            ImageFiles.writePng(t, f);
            RgbImage back = ImageFiles.read(f);
            assertEquals(0, back.get(0, 0, 0));
            assertEquals(255, back.get(0, 1, 0));
            assertEquals(255, back.get(1, 0, 0));
            assertEquals(0, back.get(1, 1, 0));
            assertEquals(128, back.get(2, 0, 0));
            assertEquals(191, back.get(2, 1, 0));
            float[] v = back.toTensor().toFloatArray();
            assertEquals(-1, v[0]);
            assertEquals(1, v[1]);
        }
    }

    private Path writeBytes(String name, byte[] b) throws IOException { return Files.write(dir.resolve(name), b); }

    /** A big-endian TIFF structure with one IFD0 entry: orientation. */
    static byte[] tiff(int orientation) {
        ByteBuffer t = ByteBuffer.allocate(26);
        t.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8).putShort((short) 1);
        t.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        t.putInt(0);
        return t.array();
    }

    /** The PNG with an eXIf chunk after IHDR. */
    static byte[] withPngExif(byte[] png, int orientation) {
        byte[] data = tiff(orientation);
        ByteBuffer chunk = ByteBuffer.allocate(12 + data.length);
        chunk.putInt(data.length).put("eXIf".getBytes()).put(data);
        CRC32 crc = new CRC32();
        crc.update(chunk.array(), 4, 4 + data.length);
        chunk.putInt((int) crc.getValue());
        int afterIhdr = 8 + 12 + 13;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, afterIhdr);
        out.writeBytes(chunk.array());
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }

    /** The JPEG with an APP1 Exif segment right after SOI. */
    private static byte[] withJpegExif(byte[] jpg, int orientation) {
        byte[] data = tiff(orientation);
        int len = 2 + 6 + data.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpg, 0, 2);
        out.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xE1, (byte) (len >> 8), (byte) len});
        out.writeBytes("Exif\0\0".getBytes());
        out.writeBytes(data);
        out.write(jpg, 2, jpg.length - 2);
        return out.toByteArray();
    }
}
