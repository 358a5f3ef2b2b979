package flux2.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files built to hurt: decompression bombs, lying headers, truncation, damaged chunks; and the formats the JDK reads. */
class HostileImagesTest {
    @TempDir Path dir;

    /** A real grey 8-bit PNG of w x h zero pixels: tiny on disk, w x h bytes once decoded. */
    static byte[] greyPng(int w, int h) { return greyPng(w, h, 8); }

    /** A real grey PNG of w x h zero pixels of {@code bits} (1 or 8) each: tiny on disk, at least w x h bits once decoded. */
    static byte[] greyPng(int w, int h, int bits) {
        Deflater z = new Deflater(9);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[(w * bits + 7) / 8 + 1], buf = new byte[1 << 16];
        for (int y = 0; y < h; y++) {
            z.setInput(row);
            while (!z.needsInput()) idat.write(buf, 0, z.deflate(buf));
        }
        z.finish();
        while (!z.finished()) idat.write(buf, 0, z.deflate(buf));
        z.end();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bits).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        ByteBuffer c = ByteBuffer.allocate(12 + data.length).putInt(data.length).put(type.getBytes()).put(data);
        CRC32 crc = new CRC32();
        crc.update(c.array(), 4, 4 + data.length);
        out.writeBytes(c.putInt((int) crc.getValue()).array());
    }

    private Path file(String name, byte[] bytes) throws IOException { return Files.write(dir.resolve(name), bytes); }

    private static BufferedImage noise(int w, int h, int type, long seed) {
        BufferedImage img = new BufferedImage(w, h, type);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt() | (type == BufferedImage.TYPE_INT_ARGB ? 0 : 0xFF000000));
        return img;
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "a writer for " + format);
        return out.toByteArray();
    }

    private static void assertMessage(ImageLoadException e, Path f, String... parts) {
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeader() throws IOException {
        Path bomb = file("bomb.png", greyPng(20000, 20000, 1)); // 50 MB of 1-bit rows, 4.8 GB as RGB floats
        assertTrue(Files.size(bomb) < 200_000, "a small file: " + Files.size(bomb));
        ImageLoadException e = assertThrows(ImageLoadException.class, () -> ImageFiles.read(bomb));
        assertMessage(e, bomb, "20000x20000 = 400000000 pixels", "above the limit of 178956970 pixels", "not decoded");
        e = assertThrows(ImageLoadException.class, () -> ImageFiles.readResized(bomb, AlphaPolicy.WHITE, ImageFiles.DEFAULT_MAX_PIXELS, 64, 64));
        assertMessage(e, bomb, "above the limit");
        ImageHeader h = ImageHeader.read(bomb);
        assertEquals(new ImageHeader(ImageFormat.PNG, 20000, 20000, 1), h);
        assertEquals(400_000_000L, h.pixels());
    }

    @Test
    void theLimitIsInclusiveAndConfigurable() throws IOException {
        Path f = file("g.png", greyPng(64, 32));
        assertEquals(64, ImageFiles.read(f, AlphaPolicy.WHITE, 2048).width());
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(f, AlphaPolicy.WHITE, 2047)), f, "64x32 = 2048 pixels", "limit of 2047");
    }

    @Test
    void aJpegDeclaring65500Squared() throws IOException {
        byte[] jpg = encode(noise(16, 16, BufferedImage.TYPE_INT_RGB, 1), "jpeg");
        int sof = 2;
        while (!((jpg[sof] & 0xFF) == 0xFF && (jpg[sof + 1] & 0xFF) == 0xC0)) sof++;
        ByteBuffer.wrap(jpg).putShort(sof + 5, (short) 65500).putShort(sof + 7, (short) 65500);
        Path f = file("huge.jpg", jpg);
        assertEquals(65500, ImageHeader.read(f).width());
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(f)), f, "65500x65500 = 4290250000 pixels", "above the limit");
    }

    @Test
    void truncatedFilesAreRefusedNotGreyed() throws IOException {
        byte[] jpg = encode(noise(64, 48, BufferedImage.TYPE_INT_RGB, 2), "jpeg");
        for (int len : new int[]{jpg.length - 2, jpg.length * 2 / 3, 400}) {
            Path f = file("cut" + len + ".jpg", Arrays.copyOf(jpg, len));
            assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(f)), f, "truncated JPEG", "without its end-of-image marker");
        }
        Path tail = file("tail.jpg", Arrays.copyOf(jpg, jpg.length + 7)); // bytes after the end-of-image marker are harmless
        assertEquals(64, ImageFiles.read(tail).width());

        byte[] png = encode(noise(64, 48, BufferedImage.TYPE_INT_RGB, 3), "png");
        Path cut = file("cut.png", Arrays.copyOf(png, png.length - 12)); // IEND lost
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(cut)), cut, "truncated PNG", "before its IEND chunk");
        Path mid = file("mid.png", Arrays.copyOf(png, png.length / 2));
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(mid)), mid, "truncated PNG: chunk 'IDAT' at byte 33");
        for (String fmt : new String[]{"gif", "tiff", "bmp"}) {
            byte[] b = encode(noise(64, 48, BufferedImage.TYPE_INT_RGB, 4), fmt);
            Path f = file("cut." + fmt, Arrays.copyOf(b, b.length * 2 / 3));
            assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(f)), f);
        }
    }

    @Test
    void aWrongCrcInACriticalChunkIsRefusedInAnAncillaryOneIgnored() throws IOException {
        byte[] png = encode(noise(32, 32, BufferedImage.TYPE_INT_RGB, 5), "png");
        int idat = 33; // after the signature and IHDR
        assertEquals("IDAT", new String(png, idat + 4, 4));
        byte[] badData = png.clone();
        badData[idat + 8 + 10] ^= 0x40;
        Path f = file("crc.png", badData);
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageFiles.read(f)), f, "damaged PNG: chunk 'IDAT' at byte 33 has a wrong CRC");

        ByteArrayOutputStream withText = new ByteArrayOutputStream();
        withText.write(png, 0, idat);
        chunk(withText, "tEXt", "Comment\0hello".getBytes());
        byte[] b = withText.toByteArray();
        b[b.length - 1] ^= 1; // the text chunk's CRC
        withText.reset();
        withText.writeBytes(b);
        withText.write(png, idat, png.length - idat);
        Path text = file("text.png", withText.toByteArray());
        assertEquals(ImageFiles.read(file("plain.png", png)), ImageFiles.read(text));
    }

    @Test
    void gifAndTiffAreRead() throws IOException {
        BufferedImage rgb = noise(20, 10, BufferedImage.TYPE_INT_RGB, 6);
        RgbImage tiff = ImageFiles.read(file("a.tiff", encode(rgb, "tiff")));
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 20; x++) assertEquals((rgb.getRGB(x, y) >> 16) & 0xFF, tiff.get(0, x, y));
        BufferedImage indexed = new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(rgb, 0, 0, null);
        RgbImage gif = ImageFiles.read(file("a.gif", encode(indexed, "gif")));
        for (int y = 0; y < 10; y++)
            for (int x = 0; x < 20; x++) assertEquals(indexed.getRGB(x, y) & 0xFF, gif.get(2, x, y));
        assertEquals(ImageFormat.GIF, ImageHeader.read(dir.resolve("a.gif")).format());
        // a TIFF file holds its orientation in its own first IFD
        assertEquals(6, ExifOrientation.read(ImageFilesTest.tiff(6), ImageFormat.TIFF));
    }

    @Test
    void resizedReadsEqualReadingThenResizingForEveryOrientation() throws IOException {
        byte[] png = encode(noise(37, 23, BufferedImage.TYPE_INT_ARGB, 7), "png");
        for (int o = 1; o <= 8; o++) {
            Path f = file("o" + o + ".png", o == 1 ? png : ImageFilesTest.withPngExif(png, o));
            ImageHeader h = ImageHeader.read(f);
            assertEquals(o, h.orientation());
            RgbImage full = ImageFiles.read(f);
            assertEquals(h.width(), full.width());
            assertEquals(h.height(), full.height());
            for (int[] t : new int[][]{{16, 9}, {50, 60}, {full.width(), full.height()}})
                assertEquals(Lanczos.resize(full, t[0], t[1]), ImageFiles.readResized(f, AlphaPolicy.WHITE, 1 << 20, t[0], t[1]), "orientation " + o + " to " + Arrays.toString(t));
        }
        Path gray = file("gray.png", greyPng(40, 30));
        assertEquals(Lanczos.resize(ImageFiles.read(gray), 13, 7), ImageFiles.readResized(gray, AlphaPolicy.WHITE, 1 << 20, 13, 7));
    }

    /** A picture-like image: smooth colour fields and edges, with fine detail and a little noise. */
    private static BufferedImage picture(int w, int h, boolean noisy) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(8);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double u = x / (double) w, v = y / (double) h;
                int red = (int) (128 + 100 * Math.sin(6 * u + 2 * v) + 20 * Math.sin(x * 0.9));
                int green = (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5) < 0.08 ? 220 : 40;
                int blue = (int) (128 + 90 * Math.cos(9 * v) + (noisy ? r.nextInt(17) - 8 : 0));
                img.setRGB(x, y, (Math.clamp(red, 0, 255) << 16) | (green << 8) | Math.clamp(blue, 0, 255));
            }
        return img;
    }

    @Test
    void bigDownscalesDecodeFewerPixelsAndStayClose() throws IOException {
        Path f = file("big.png", encode(picture(1200, 800, true), "png"));
        assertEquals(3, ImageFiles.subsampling(1200, 800, 100, 66));
        assertEquals(1, ImageFiles.subsampling(1200, 800, 400, 266));
        RgbImage exact = Lanczos.resize(ImageFiles.read(f), 100, 66), fast = ImageFiles.readResized(f, AlphaPolicy.WHITE, 1 << 24, 100, 66);
        assertEquals(100, fast.width());
        assertEquals(66, fast.height());
        double sum = 0;
        for (int i = 0; i < exact.data().length; i++) sum += Math.abs(exact.data()[i] - fast.data()[i]);
        double mean = sum / exact.data().length;
        assertTrue(mean < 2, "mean absolute difference " + mean + " of 255");
    }

    @Test
    void resizedReadsHoldNoFullSizeFloatCopy() throws IOException {
        int w = 1600, h = 1200;
        Path f = file("m.png", encode(picture(w, h, false), "png"));
        long decoded = 3L * w * h, floatCopy = 12L * w * h; // an RGB BufferedImage; converting all of it to floats
        ImageFiles.readResized(f, AlphaPolicy.WHITE, 1 << 24, 64, 48); // warm up the readers
        long before = allocated(() -> Lanczos.resize(ImageFiles.read(f), 480, 360));
        long noSubsampling = allocated(() -> ImageFiles.readResized(f, AlphaPolicy.WHITE, 1 << 24, 480, 360));
        long subsampled = allocated(() -> ImageFiles.readResized(f, AlphaPolicy.WHITE, 1 << 24, 80, 60));
        System.out.printf("%dx%d PNG (%.1f MB): read then resize to 480x360 allocates %.1f MB, readResized %.1f MB, to 80x60 (subsampled by %d) %.1f MB%n",
                w, h, Files.size(f) / 1e6, before / 1e6, noSubsampling / 1e6, ImageFiles.subsampling(w, h, 80, 60), subsampled / 1e6);
        assertTrue(before > floatCopy, "reading then resizing makes the full-size float copy: " + before);
        assertTrue(noSubsampling < floatCopy, "readResized makes none: " + noSubsampling + " bytes allocated");
        assertTrue(subsampled < decoded / 4 + Files.size(f), "subsampled by 5, the decoded image is 25 times smaller: " + subsampled + " bytes allocated");
    }

    interface Read {
        void run() throws IOException;
    }

    private static long allocated(Read r) throws IOException {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId(), before = mx.getThreadAllocatedBytes(id);
        r.run();
        return mx.getThreadAllocatedBytes(id) - before;
    }

    @Test
    void headersOfBrokenFilesNameTheProblem() throws IOException {
        Path text = file("notes.jpg", "not an image".getBytes());
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageHeader.read(text)), text, "not a PNG, JPEG, WebP, BMP, GIF or TIFF image");
        Path empty = file("empty.png", new byte[0]);
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageHeader.read(empty)), empty, "not a PNG");
        Path missing = dir.resolve("missing.png");
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageHeader.read(missing)), missing, "no such file");
        byte[] png = greyPng(4, 4);
        Path noSize = file("header.png", Arrays.copyOf(png, 20));
        assertMessage(assertThrows(ImageLoadException.class, () -> ImageHeader.read(noSize)), noSize, "corrupt or unsupported PNG image");
        assertArrayEquals(new byte[]{(byte) 0x89, 'P'}, Arrays.copyOf(png, 2));
    }
}
