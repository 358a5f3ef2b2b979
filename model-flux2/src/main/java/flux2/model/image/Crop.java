package flux2.model.image;

import java.util.Random;

/** Where to cut a target-sized window out of an image resized to cover it. */
public enum Crop {
    CENTER, RANDOM, CORNER;

    /**
     * The image scaled (Lanczos) to the smallest size that covers w x h while keeping its aspect ratio, then
     * cropped to exactly w x h here. Sides must be multiples of 16 (the VAE's latent grid); {@code rng} is used
     * only by {@link #RANDOM}.
     */
    public RgbImage fit(RgbImage img, int w, int h, Random rng) {
        if (w < 16 || h < 16 || w % 16 != 0 || h % 16 != 0)
            throw new IllegalArgumentException("target sides must be positive multiples of 16, got " + w + "x" + h);
        double scale = Math.max((double) w / img.width(), (double) h / img.height());
        int rw = Math.max(w, (int) Math.round(img.width() * scale)), rh = Math.max(h, (int) Math.round(img.height() * scale));
        RgbImage r = Lanczos.resize(img, rw, rh);
        int x, y;
        switch (this) {
            case CENTER -> { x = (rw - w) / 2; y = (rh - h) / 2; }
            case RANDOM -> { x = rng.nextInt(rw - w + 1); y = rng.nextInt(rh - h + 1); }
            default -> { x = 0; y = 0; }
        }
        return r.crop(x, y, w, h);
    }
}
