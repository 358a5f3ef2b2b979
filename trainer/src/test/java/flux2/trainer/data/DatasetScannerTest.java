package flux2.trainer.data;

import static flux2.trainer.data.DataTestSupport.dataset;
import static flux2.trainer.data.DataTestSupport.image;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.model.image.ImageHeader;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetScannerTest {
    @TempDir Path dir;

    @Test
    void filenameCaptionsSizesAndSkippedFiles() throws IOException {
        image(dir, "a_red_cat.png", 64, 32);
        image(dir, "sub/blue_dog.jpg", 48, 48);
        image(dir, "tiny.png", 8, 8);
        Files.write(dir.resolve("broken.png"), new byte[] {1, 2, 3, 4});
        Files.writeString(dir.resolve("notes.md"), "not an image");
        var d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, 16.0, CaptionStrategy.FILENAME, 0, false);
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(d, 1, log::add);
        assertEquals(List.of("a_red_cat.png", "sub/blue_dog.jpg"), ds.entries().stream().map(ImageEntry::relativePath).toList());
        assertEquals(List.of("a red cat"), ds.entries().get(0).captions());
        assertEquals(List.of("blue dog"), ds.entries().get(1).captions());
        assertEquals(64, ds.entries().get(0).plan().originalWidth());
        assertEquals("64x32", ds.entries().get(0).plan().bucket());
        assertEquals(3, log.size(), log.toString());
        assertTrue(log.get(0).contains(dir.resolve("broken.png").toString()), log.toString());
        assertTrue(log.get(1).contains("tiny.png") && log.get(1).contains("below minimum_image_size"), log.toString());
        assertEquals("dataset 'ds': 2 images in " + dir + " (2 files skipped)", log.get(2));
        assertEquals(2, ds.skipped().size());
    }

    @Test
    void textfileCaptionsSplitLinesAndMissingFilesAreSkipped() throws IOException {
        image(dir, "one.png", 32, 32);
        Files.writeString(dir.resolve("one.txt"), "first caption\r\n\nsecond caption\n");
        image(dir, "two.png", 32, 32);
        var d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, null, CaptionStrategy.TEXTFILE, 0, false);
        List<String> log = new ArrayList<>();
        ImageDataset ds = DatasetScanner.scan(d, 1, log::add);
        assertEquals(1, ds.entries().size());
        assertEquals(List.of("first caption", "second caption"), ds.entries().getFirst().captions());
        assertEquals(2, log.size());
        assertTrue(log.getFirst().contains("two.txt not found"), log.toString());
    }

    @Test
    void instancePromptCaptionsEveryImage() throws IOException {
        image(dir, "x.png", 32, 32);
        var d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, null, CaptionStrategy.INSTANCEPROMPT, 0, false);
        assertEquals(List.of("sks photo"), DatasetScanner.scan(d, 1, s -> {}).entries().getFirst().captions());
    }

    @Test
    void exifRotationSwapsWidthAndHeight() throws IOException {
        Path plain = image(dir, "plain.jpg", 64, 32);
        assertEquals(List.of(64, 32), size(ImageHeader.read(plain)));
        for (int orientation : new int[] {3, 6, 8}) {
            Path rotated = dir.resolve("rot" + orientation + ".jpg");
            Files.write(rotated, withExifOrientation(Files.readAllBytes(plain), orientation));
            var expected = orientation == 3 ? List.of(64, 32) : List.of(32, 64);
            assertEquals(expected, size(ImageHeader.read(rotated)), "orientation " + orientation);
            assertEquals(orientation, ImageHeader.read(rotated).orientation());
        }
        // the scan plans crops on the size as displayed
        var d = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 32, ResolutionType.PIXEL, null, CaptionStrategy.FILENAME, 0, false);
        var plan = DatasetScanner.scan(d, 1, s -> {}).entries().stream().filter(e -> e.relativePath().equals("rot6.jpg")).findFirst().orElseThrow().plan();
        assertEquals(32, plan.originalWidth());
        assertEquals(64, plan.originalHeight());
    }

    private static List<Integer> size(ImageHeader h) {
        return List.of(h.width(), h.height());
    }

    /** The JPEG with a big-endian EXIF APP1 segment holding only the orientation tag, inserted after SOI. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        var exif = new ByteArrayOutputStream();
        exif.writeBytes("Exif\0\0".getBytes());
        exif.writeBytes(new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8}); // TIFF header, IFD0 at offset 8
        exif.writeBytes(new byte[] {0, 1});                          // one entry
        exif.writeBytes(new byte[] {0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0}); // SHORT orientation
        exif.writeBytes(new byte[] {0, 0, 0, 0});                    // no next IFD
        byte[] payload = exif.toByteArray();
        var out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) ((payload.length + 2) >> 8), (byte) (payload.length + 2)});
        out.writeBytes(payload);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }
}
