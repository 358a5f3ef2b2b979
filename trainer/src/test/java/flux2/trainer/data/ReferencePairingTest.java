package flux2.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.ConditioningType;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferencePairingTest {
    @TempDir Path dir;

    /** A conditioning dataset over {@code folder}: 32 px (shorter edge), center crops keeping the aspect. */
    private static DatasetConfig conditioning(Path folder, ConditioningType type) {
        return new DatasetConfig("refs", DatasetConfig.DatasetType.CONDITIONING, folder, true, CropStyle.CENTER, CropAspect.PRESERVE, 32,
                ResolutionType.PIXEL, null, null, null, null, CaptionStrategy.FILENAME, List.of(), false, false, false, 0, null, false, null,
                128, 1, 2, false, type, List.of());
    }

    private ImageDataset main() throws Exception {
        Path edit = dir.resolve("edit");
        DataTestSupport.image(edit, "a.png", 64, 48);
        DataTestSupport.image(edit, "sub/b.png", 48, 48);
        DataTestSupport.image(edit, "c.png", 48, 48);
        DatasetConfig d = DataTestSupport.dataset(edit, true, CropStyle.RANDOM, CropAspect.SQUARE, 32, ResolutionType.PIXEL, null,
                CaptionStrategy.FILENAME, 0, false);
        return DatasetScanner.scan(d, 5, s -> {});
    }

    @Test
    void strictReferencesTakeTheTrainingImagesCropScaledOntoTheirSize() throws Exception {
        ImageDataset main = main();
        Path ref = dir.resolve("ref");
        DataTestSupport.image(ref, "a.jpg", 128, 96); // another extension and twice the size still pairs
        DataTestSupport.image(ref, "sub/b.png", 48, 48);
        DataTestSupport.image(ref, "c.png", 48, 48);
        DataTestSupport.image(ref, "extra.png", 48, 48);
        List<String> log = new ArrayList<>();
        ReferenceSet set = ReferencePairing.pair(main, conditioning(ref, ConditioningType.REFERENCE_STRICT), 5, log::add);
        for (ImageEntry e : main.entries()) {
            CropPlan m = e.plan(), r = set.of(e).plan();
            assertEquals(List.of(m.resizeWidth(), m.resizeHeight(), m.cropLeft(), m.cropTop(), m.targetWidth(), m.targetHeight()),
                    List.of(r.resizeWidth(), r.resizeHeight(), r.cropLeft(), r.cropTop(), r.targetWidth(), r.targetHeight()), e.relativePath());
        }
        assertEquals(128, set.of(main.entries().getFirst()).plan().originalWidth());
        assertEquals("a.jpg", set.of(main.entries().getFirst()).relativePath());
        assertTrue(log.getLast().contains("3 references paired with 'ds'; 1 images without a partner are unused"), log.toString());
        assertEquals("reference:reference_strict:paired-with:ds", set.cacheVariant());
    }

    @Test
    void looseReferencesAreBucketedOnTheirOwn() throws Exception {
        ImageDataset main = main();
        Path ref = dir.resolve("ref");
        DataTestSupport.image(ref, "a.png", 96, 32);
        DataTestSupport.image(ref, "sub/b.png", 32, 64);
        DataTestSupport.image(ref, "c.png", 48, 48);
        ReferenceSet set = ReferencePairing.pair(main, conditioning(ref, ConditioningType.REFERENCE_LOOSE), 5, s -> {});
        ImageEntry a = main.entries().getFirst();
        assertEquals("32x32", a.plan().bucket(), "the training images are square crops");
        assertEquals("96x32", set.of(a).plan().bucket(), "the reference keeps its 3:1 aspect (shorter edge 32)");
        assertEquals("32x64", set.of(main.entries().get(2)).plan().bucket());
    }

    @Test
    void missingPartnersAreOneErrorListingTheFiles() throws Exception {
        ImageDataset main = main();
        Path ref = dir.resolve("ref");
        DataTestSupport.image(ref, "a.png", 64, 48);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ReferencePairing.pair(main, conditioning(ref, ConditioningType.REFERENCE_STRICT), 5, s -> {}));
        assertTrue(e.getMessage().contains("conditioning dataset 'refs' (" + ref + ") has no image named like 2 of the 3 images of dataset 'ds'"), e.getMessage());
        assertTrue(e.getMessage().endsWith("[c.png, sub/b.png]"), e.getMessage());
    }

    @Test
    void twoFilesWithOneNameAreAnError() throws Exception {
        ImageDataset main = main();
        Path ref = dir.resolve("ref");
        DataTestSupport.image(ref, "a.png", 64, 48);
        DataTestSupport.image(ref, "a.jpg", 64, 48);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ReferencePairing.pair(main, conditioning(ref, ConditioningType.REFERENCE_STRICT), 5, s -> {}));
        assertTrue(e.getMessage().contains("have the same name"), e.getMessage());
    }
}
