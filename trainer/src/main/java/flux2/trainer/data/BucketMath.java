package flux2.trainer.data;

import flux2.trainer.config.DatasetConfig;
import flux2.trainer.config.DatasetConfig.CropAspect;
import flux2.trainer.config.DatasetConfig.ResolutionType;

/**
 * SimpleTuner's resolution and aspect-bucket math with FLUX.2's 16-pixel
 * alignment. Python's round() rounds halves to even, hence Math.rint throughout.
 */
public final class BucketMath {
    /** Every target side is a multiple of this (2x2 patches of the 8x-downsampled latent). */
    public static final int ALIGN = 16;

    private BucketMath() {}

    /** The image's aspect ratio (width / height) rounded to {@code decimals} places, as bucket keys are. */
    public static double aspect(int width, int height, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.rint(width / (double) height * scale) / scale;
    }

    static int align(double v) {
        return Math.max(ALIGN, (int) Math.rint(v / ALIGN) * ALIGN);
    }

    /** The square edge for area modes: round(sqrt(megapixels * 1e6) / 16) * 16. */
    public static int areaEdge(double megapixels) {
        return align(Math.sqrt(megapixels * 1e6));
    }

    /** The dataset's training area in megapixels (pixel_area reads resolution as an edge: 1024 -> 1.048576). */
    public static double megapixels(DatasetConfig d) {
        return d.resolutionType() == ResolutionType.AREA ? d.resolution() : d.resolution() * d.resolution() / 1e6;
    }

    /** The bucket (target width, height) of an image of aspect {@code a} under the dataset's resolution settings. */
    public static int[] bucketSize(DatasetConfig d, double a) {
        if (d.crop() && d.cropAspect() == CropAspect.SQUARE) {
            int edge = d.resolutionType() == ResolutionType.PIXEL ? align(d.resolution()) : areaEdge(megapixels(d));
            return new int[] {edge, edge};
        }
        if (d.resolutionType() == ResolutionType.PIXEL) {
            // the shorter edge is the resolution
            int r = align(d.resolution());
            return a >= 1 ? new int[] {align(r * a), r} : new int[] {r, align(r / a)};
        }
        int edge = areaEdge(megapixels(d));
        double s = Math.sqrt(a);
        return new int[] {align(edge * s), align(edge / s)};
    }

    /** Whether the image reaches minimum_image_size (an edge for pixel; megapixels for area; an edge when > 10 for pixel_area). */
    public static boolean meetsMinimum(DatasetConfig d, int width, int height) {
        Double min = d.minimumImageSize();
        if (min == null || min <= 0) return true;
        return switch (d.resolutionType()) {
            case PIXEL -> Math.min(width, height) >= min;
            case AREA -> width * (double) height / 1e6 >= min;
            case PIXEL_AREA -> width * (double) height / 1e6 >= (min > 10 ? min * min / 1e6 : min);
        };
    }

    /**
     * The resize and crop for one image. Without crop the image is resized straight to its bucket; with crop it is
     * resized to cover the bucket keeping its aspect and the window is cut per crop_style ({@code randomUnit} in [0,1)
     * places a random crop, so that the plan is reproducible from a seed).
     */
    public static CropPlan plan(DatasetConfig d, int width, int height, double randomUnitX, double randomUnitY) {
        int[] t = bucketSize(d, aspect(width, height, d.aspectBucketRounding()));
        int tw = t[0], th = t[1];
        if (!d.crop()) return new CropPlan(width, height, tw, th, 0, 0, tw, th);
        double scale = Math.max(tw / (double) width, th / (double) height);
        int rw = Math.max(tw, (int) Math.rint(width * scale)), rh = Math.max(th, (int) Math.rint(height * scale));
        int left, top;
        switch (d.cropStyle()) {
            case CENTER -> { left = (rw - tw) / 2; top = (rh - th) / 2; }
            case CORNER -> { left = 0; top = 0; }
            case RANDOM -> { left = (int) (randomUnitX * (rw - tw + 1)); top = (int) (randomUnitY * (rh - th + 1)); }
            default -> throw new IllegalStateException();
        }
        return new CropPlan(width, height, rw, rh, left, top, tw, th);
    }
}
