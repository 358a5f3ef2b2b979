package flux2.model.image;

/**
 * Lanczos (a = 3) resampling, separable: rows then columns. When shrinking, the kernel is stretched by the
 * scale factor so that it also low-pass filters (as Pillow's LANCZOS does); weights are normalised to sum to 1.
 * Pixel centres sit at i + 0.5 in both images.
 */
public final class Lanczos {
    private static final int A = 3;

    private Lanczos() {}

    /** The image resized to w x h. */
    public static RgbImage resize(RgbImage img, int w, int h) {
        if (w < 1 || h < 1) throw new IllegalArgumentException("resize target must be positive, got " + w + "x" + h);
        if (w == img.width() && h == img.height()) return img;
        int sw = img.width(), sh = img.height();
        Weights cols = Weights.of(sw, w), rows = Weights.of(sh, h);
        float[] src = img.data(), mid = new float[3 * sh * w], out = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    int base = (c * sh + y) * sw;
                    for (int k = 0; k < cols.count[x]; k++) s += cols.w[x][k] * src[base + cols.first[x] + k];
                    mid[(c * sh + y) * w + x] = (float) s;
                }
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = 0; k < rows.count[y]; k++) s += rows.w[y][k] * mid[(c * sh + rows.first[y] + k) * w + x];
                    out[(c * h + y) * w + x] = (float) s;
                }
        return new RgbImage(w, h, out);
    }

    /** The Lanczos kernel sinc(x) sinc(x / a) for |x| < a. */
    static double kernel(double x) {
        if (x == 0) return 1;
        if (Math.abs(x) >= A) return 0;
        double px = Math.PI * x;
        return A * Math.sin(px) * Math.sin(px / A) / (px * px);
    }

    /** Per output pixel: the first source pixel and the normalised weights of those that contribute. */
    private record Weights(int[] first, int[] count, double[][] w) {
        static Weights of(int in, int out) {
            double scale = (double) in / out, stretch = Math.max(scale, 1), support = A * stretch;
            int[] first = new int[out], count = new int[out];
            double[][] w = new double[out][];
            for (int i = 0; i < out; i++) {
                double centre = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(centre - support)), hi = Math.min(in, (int) Math.ceil(centre + support));
                double[] ws = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) sum += ws[j - lo] = kernel((j + 0.5 - centre) / stretch);
                for (int k = 0; k < ws.length; k++) ws[k] /= sum;
                first[i] = lo;
                count[i] = ws.length;
                w[i] = ws;
            }
            return new Weights(first, count, w);
        }
    }
}
