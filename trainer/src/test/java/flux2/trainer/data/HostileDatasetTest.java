package flux2.trainer.data;

import static flux2.trainer.data.DataTestSupport.dataset;
import static flux2.trainer.data.DataTestSupport.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dataset folders built to hurt the scan: links, loops, bombs, formats without a reader, captions in other encodings. */
class HostileDatasetTest {
    @TempDir Path dir;

    private static DatasetConfig filenames(Path root) {
        return dataset(root, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, null, CaptionStrategy.FILENAME, 0, false);
    }

    private static DatasetConfig withLimit(DatasetConfig d, long maxPixels) {
        return new DatasetConfig(d.id(), d.datasetType(), d.instanceDataDir(), d.crop(), d.cropStyle(), d.cropAspect(), d.resolution(),
                d.resolutionType(), d.minimumImageSize(), d.minimumAspectRatio(), d.maximumAspectRatio(), d.cacheDirVae(), d.captionStrategy(),
                d.instancePrompt(), d.prependInstancePrompt(), d.onlyInstancePrompt(), d.disableMultilineSplit(), d.repeats(), d.textEmbeds(),
                d.isDefault(), d.cacheDir(), d.writeBatchSize(), d.textEncoderBatchSize(), d.aspectBucketRounding(), d.disableBucketPruning(),
                d.conditioningType(), d.conditioningData(), maxPixels);
    }

    private static List<String> paths(ImageDataset ds) { return ds.entries().stream().map(ImageEntry::relativePath).toList(); }

    /** A real 1-bit grey PNG of w x h pixels, a few hundred kilobytes for 20000 x 20000. */
    static byte[] bomb(int w, int h) {
        Deflater z = new Deflater(9);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[(w + 7) / 8 + 1], buf = new byte[1 << 16];
        for (int y = 0; y < h; y++) {
            z.setInput(row);
            while (!z.needsInput()) idat.write(buf, 0, z.deflate(buf));
        }
        z.finish();
        while (!z.finished()) idat.write(buf, 0, z.deflate(buf));
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(png, "IDAT", idat.toByteArray());
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        ByteBuffer c = ByteBuffer.allocate(12 + data.length).putInt(data.length).put(type.getBytes()).put(data);
        CRC32 crc = new CRC32();
        crc.update(c.array(), 4, 4 + data.length);
        out.writeBytes(c.putInt((int) crc.getValue()).array());
    }

    @Test
    void aLinkedFolderAndLinksInsideAreFollowedAndALoopIsReported() throws IOException {
        Path real = dir.resolve("store/cats");
        image(real, "a.png", 32, 32);
        image(dir.resolve("store/more"), "b.png", 32, 32);
        Files.createSymbolicLink(real.resolve("more"), dir.resolve("store/more"));
        Files.createSymbolicLink(real.resolve("loop"), real); // a link back up
        Files.createSymbolicLink(real.resolve("gone.png"), dir.resolve("nowhere.png"));
        Path linked = Files.createSymbolicLink(dir.resolve("dataset"), real);
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(filenames(linked), 1, log::add);
        assertEquals(List.of("a.png", "more/b.png"), paths(ds));
        assertTrue(log.stream().anyMatch(l -> l.contains(linked.resolve("loop").toString()) && l.contains("a loop")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("gone.png") && l.contains("which does not exist")), log.toString());
        assertEquals(2, ds.skipped().size(), ds.skipped().toString());
    }

    @Test
    void bombsAreSkippedFromTheirHeaderAndTheLimitIsTheConfigs() throws IOException {
        Files.write(dir.resolve("bomb.png"), bomb(20000, 20000));
        image(dir, "ok.png", 64, 48);
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(filenames(dir), 1, log::add);
        assertEquals(List.of("ok.png"), paths(ds));
        assertTrue(log.getFirst().contains("bomb.png") && log.getFirst().contains("20000x20000 = 400000000 pixels is above max_image_pixels 178956970"),
                log.toString());
        log.clear();
        assertEquals(List.of(), paths(DatasetScanner.scan(withLimit(filenames(dir), 3071), 1, log::add)));
        assertTrue(log.get(1).contains("ok.png: 64x48 = 3072 pixels is above max_image_pixels 3071"), log.toString());
        assertEquals(List.of("ok.png"), paths(DatasetScanner.scan(withLimit(filenames(dir), 3072), 1, s -> {})));
    }

    @Test
    void everyFormatWithAReaderIsScannedOthersAreReported() throws IOException {
        BufferedImage img = new BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB);
        for (String f : new String[]{"gif", "tiff", "bmp", "png", "jpeg"}) assertTrue(ImageIO.write(img, f, dir.resolve("x." + f).toFile()), f);
        Files.move(dir.resolve("x.tiff"), dir.resolve("x.tif"));
        Files.write(dir.resolve("y.avif"), new byte[64]);
        Files.write(dir.resolve("fake.png"), "GIF87a but not really".getBytes(StandardCharsets.US_ASCII));
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(filenames(dir), 1, log::add);
        assertEquals(List.of("x.bmp", "x.gif", "x.jpeg", "x.png", "x.tif"), paths(ds));
        for (ImageEntry e : ds.entries()) assertEquals(40, e.plan().originalWidth(), e.relativePath());
        assertTrue(log.stream().anyMatch(l -> l.contains("y.avif: .avif images are not read here")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains("fake.png: corrupt or unsupported GIF image")), log.toString());
    }

    @Test
    void aCaptionThatIsNotUtf8IsNamed() throws IOException {
        image(dir, "cafe.png", 32, 32);
        Files.write(dir.resolve("cafe.txt"), "un caf\u00e9 noir".getBytes(StandardCharsets.ISO_8859_1));
        image(dir, "wide.png", 32, 32);
        Files.write(dir.resolve("wide.txt"), "\uFEFFa wide caption".getBytes(StandardCharsets.UTF_16LE));
        image(dir, "bom.png", 32, 32);
        Files.write(dir.resolve("bom.txt"), "\uFEFFa caption with a mark".getBytes(StandardCharsets.UTF_8));
        var d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, null, CaptionStrategy.TEXTFILE, 0, false);
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(d, 1, log::add);
        assertEquals(List.of("a caption with a mark"), ds.entries().getFirst().captions());
        assertTrue(log.stream().anyMatch(l -> l.contains(dir.resolve("cafe.txt") + ": not UTF-8 text: byte 0xE9 at offset 6") && l.contains("Latin-1")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.contains(dir.resolve("wide.txt") + ": the text is UTF-16")), log.toString());
    }
}
