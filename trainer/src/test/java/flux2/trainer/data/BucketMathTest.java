package flux2.trainer.data;

import static flux2.trainer.data.DataTestSupport.dataset;
import static flux2.trainer.data.DataTestSupport.pixelArea;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.trainer.config.DatasetConfig.CaptionStrategy;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.DatasetConfig.ResolutionType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BucketMathTest {
    final Path dir = Path.of("unused");

    @Test
    void pixelAreaBucketsFollowTheSpecFormula() {
        // edge = 1024; W = round(edge*sqrt(a)/16)*16, H = round(edge/sqrt(a)/16)*16 (values from Python's round)
        var d = pixelArea(dir, 1024, false, CropAspect.PRESERVE);
        assertArrayEquals(new int[] {1024, 1024}, BucketMath.bucketSize(d, 1.0));
        assertArrayEquals(new int[] {1248, 832}, BucketMath.bucketSize(d, 1.5));
        assertArrayEquals(new int[] {832, 1248}, BucketMath.bucketSize(d, 0.67));
        assertArrayEquals(new int[] {1360, 768}, BucketMath.bucketSize(d, 1.78));
        assertEquals(1.048576, BucketMath.megapixels(d), 1e-12);
    }

    @Test
    void halvesRoundToEvenAsPythonDoes() {
        assertEquals(1024, BucketMath.areaEdge(1.032 * 1.032)); // 1032/16 = 64.5 -> 64
        assertEquals(496, BucketMath.areaEdge(0.25));          // 500/16 = 31.25 -> 31
        assertEquals(1.5, BucketMath.aspect(1536, 1024, 2));
        assertEquals(0.67, BucketMath.aspect(1024, 1536, 2));
    }

    @Test
    void pixelModeKeepsShorterEdgeAndAreaModeReadsMegapixels() {
        var pixel = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 512, ResolutionType.PIXEL, null, CaptionStrategy.FILENAME, 0, false);
        assertArrayEquals(new int[] {1024, 512}, BucketMath.bucketSize(pixel, 2.0));
        assertArrayEquals(new int[] {512, 768}, BucketMath.bucketSize(pixel, 0.67));
        var area = dataset(dir, true, CropStyle.CENTER, CropAspect.SQUARE, 0.25, ResolutionType.AREA, null, CaptionStrategy.FILENAME, 0, false);
        assertArrayEquals(new int[] {496, 496}, BucketMath.bucketSize(area, 1.78));
    }

    @Test
    void everyTargetSideIsAMultipleOf16() {
        var d = pixelArea(dir, 777, false, CropAspect.PRESERVE);
        for (int w = 100; w < 3000; w += 37) {
            CropPlan p = BucketMath.plan(d, w, 1111, 0, 0);
            assertEquals(0, p.targetWidth() % 16);
            assertEquals(0, p.targetHeight() % 16);
        }
    }

    @Test
    void cropsCoverTheTargetAndSitPerStyle() {
        var center = dataset(dir, true, CropStyle.CENTER, CropAspect.SQUARE, 512, ResolutionType.PIXEL_AREA, null, CaptionStrategy.FILENAME, 0, false);
        assertEquals(new CropPlan(2000, 1000, 1024, 512, 256, 0, 512, 512), BucketMath.plan(center, 2000, 1000, 0, 0));
        var corner = dataset(dir, true, CropStyle.CORNER, CropAspect.SQUARE, 512, ResolutionType.PIXEL_AREA, null, CaptionStrategy.FILENAME, 0, false);
        assertEquals(new CropPlan(1000, 2000, 512, 1024, 0, 0, 512, 512), BucketMath.plan(corner, 1000, 2000, 0.9, 0.9));
        var random = dataset(dir, true, CropStyle.RANDOM, CropAspect.SQUARE, 512, ResolutionType.PIXEL_AREA, null, CaptionStrategy.FILENAME, 0, false);
        CropPlan r = BucketMath.plan(random, 1000, 2000, 0.5, 0.999);
        assertEquals(0, r.cropLeft());
        assertEquals(512, r.cropTop(), "last valid offset");
        // preserve keeps the bucket's aspect; the crop trims what the aspect rounding left over
        var preserve = dataset(dir, true, CropStyle.CENTER, CropAspect.PRESERVE, 1024, ResolutionType.PIXEL_AREA, null, CaptionStrategy.FILENAME, 0, false);
        CropPlan p = BucketMath.plan(preserve, 1500, 1000, 0, 0);
        assertEquals("1248x832", p.bucket());
        assertTrue(p.resizeWidth() >= 1248 && p.resizeHeight() >= 832);
        // no crop: straight resize to the bucket
        assertEquals(new CropPlan(1500, 1000, 1248, 832, 0, 0, 1248, 832), BucketMath.plan(pixelArea(dir, 1024, false, CropAspect.PRESERVE), 1500, 1000, 0, 0));
    }

    @Test
    void minimumImageSizeUsesTheResolutionTypesUnit() {
        var px = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 512, ResolutionType.PIXEL, 400.0, CaptionStrategy.FILENAME, 0, false);
        assertTrue(BucketMath.meetsMinimum(px, 400, 900));
        assertFalse(BucketMath.meetsMinimum(px, 399, 900));
        var pa = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 512, ResolutionType.PIXEL_AREA, 512.0, CaptionStrategy.FILENAME, 0, false);
        assertTrue(BucketMath.meetsMinimum(pa, 1024, 256));  // 0.262144 MP = 512^2
        assertFalse(BucketMath.meetsMinimum(pa, 1000, 256));
        var area = dataset(dir, false, CropStyle.CENTER, CropAspect.PRESERVE, 1, ResolutionType.AREA, 0.5, CaptionStrategy.FILENAME, 0, false);
        assertTrue(BucketMath.meetsMinimum(area, 1000, 500));
        assertFalse(BucketMath.meetsMinimum(area, 999, 500));
    }
}
