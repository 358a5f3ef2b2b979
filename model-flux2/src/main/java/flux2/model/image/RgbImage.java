package flux2.model.image;

import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * An RGB image as three planes of floats in [0, 255] (channel, row, column), the form resizing and cropping
 * work in before an image becomes a tensor.
 */
public record RgbImage(int width, int height, float[] data) {
    public RgbImage {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image sides must be positive, got " + width + "x" + height);
        if (data.length != 3L * width * height)
            throw new IllegalArgumentException("an RGB image of " + width + "x" + height + " needs " + 3L * width * height + " values, got " + data.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage r && r.width == width && r.height == height && Arrays.equals(r.data, data);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(data) * 31 + width * 17 + height; }

    @Override
    public String toString() { return "RgbImage[" + width + "x" + height + "]"; }

    /** Value of channel c at column x, row y. */
    public float get(int c, int x, int y) { return data[(c * height + y) * width + x]; }

    /** The region [x, x + w) x [y, y + h). */
    public RgbImage crop(int x, int y, int w, int h) {
        if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height)
            throw new IllegalArgumentException("crop " + w + "x" + h + " at (" + x + ", " + y + ") does not fit in " + width + "x" + height);
        float[] out = new float[3 * w * h];
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < h; r++)
                System.arraycopy(data, (c * height + y + r) * width + x, out, (c * h + r) * w, w);
        return new RgbImage(w, h, out);
    }

    /** The image as a tensor [1, 3, H, W] in [-1, 1] (v / 127.5 - 1), in the current arena. */
    public Tensor toTensor() {
        float[] out = new float[data.length];
        for (int i = 0; i < out.length; i++) out[i] = data[i] / 127.5f - 1;
        return Tensor.of(out, 1, 3, height, width);
    }

    /**
     * An image from a tensor [3, H, W] or [1, 3, H, W] in [-1, 1]: clamped, then mapped to [0, 255] and rounded
     * to whole 8-bit levels, as images are saved.
     */
    public static RgbImage fromTensor(Tensor t) {
        int[] s = t.shape();
        if (s.length == 4 && s[0] == 1) s = Arrays.copyOfRange(s, 1, 4);
        if (s.length != 3 || s[0] != 3)
            throw new IllegalArgumentException("an RGB image tensor must be [3, H, W] or [1, 3, H, W], got " + Arrays.toString(t.shape()));
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            float x = Math.clamp(v[i], -1f, 1f); // NaN stays NaN and rounds to 0
            v[i] = Math.round(255 * (x / 2 + 0.5f));
        }
        return new RgbImage(s[2], s[1], v);
    }
}
