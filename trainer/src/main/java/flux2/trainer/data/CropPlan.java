package flux2.trainer.data;

/**
 * How one image becomes a training image: resize the original to (resizeWidth, resizeHeight), keeping its aspect
 * when cropping, then cut the (targetWidth, targetHeight) window at (cropLeft, cropTop). Target sides are multiples of 16.
 */
public record CropPlan(int originalWidth, int originalHeight, int resizeWidth, int resizeHeight, int cropLeft, int cropTop,
                       int targetWidth, int targetHeight) {

    /** The bucket key: images with the same target size can share a batch. */
    public String bucket() {
        return targetWidth + "x" + targetHeight;
    }
}
