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
        Rows rows = new Rows(sw, sh, w, h);
        float[] src = img.data(), row = rows.rowBuffer();
        for (int y = 0; y < sh; y++) {
            for (int c = 0; c < 3; c++) System.arraycopy(src, (c * sh + y) * sw, row, c * sw, sw);
            rows.accept(row);
        }
        return rows.result();
    }

    /**
     * Resizes an image of sw x sh to w x h from its rows given top to bottom, so that no full-size copy of the source
     * is needed: each row is filtered horizontally at once, and an output row is filtered vertically as soon as its
     * last source row has arrived, keeping only the few rows the kernel spans. The result equals {@link #resize}'s
     * bit for bit (same sums in the same order).
     */
    public static final class Rows {
        private final int sw, sh, w, h, ring;
        private final Weights cols, rows;
        private final float[] mid, out, row;
        private int received, emitted;

        public Rows(int sw, int sh, int w, int h) {
            if (sw < 1 || sh < 1 || w < 1 || h < 1) throw new IllegalArgumentException("sizes must be positive: " + sw + "x" + sh + " to " + w + "x" + h);
            this.sw = sw;
            this.sh = sh;
            this.w = w;
            this.h = h;
            cols = Weights.of(sw, w);
            rows = Weights.of(sh, h);
            int most = 1;
            for (int n : rows.count) most = Math.max(most, n);
            ring = most;
            mid = new float[3 * ring * w];
            out = new float[3 * h * w];
            row = new float[3 * sw];
        }

        /** A buffer of one source row (planar: channel c at [c * sw, (c + 1) * sw)) that callers may fill and pass to {@link #accept}. */
        public float[] rowBuffer() { return row; }

        /** The next source row, planar as in {@link #rowBuffer}; its values are read before this returns. */
        public void accept(float[] src) {
            if (received == sh) throw new IllegalStateException("all " + sh + " rows were given already");
            int slot = received % ring;
            for (int c = 0; c < 3; c++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    int base = c * sw;
                    for (int k = 0; k < cols.count[x]; k++) s += cols.w[x][k] * src[base + cols.first[x] + k];
                    mid[(c * ring + slot) * w + x] = (float) s;
                }
            received++;
            while (emitted < h && rows.first[emitted] + rows.count[emitted] <= received) emit(emitted++);
        }

        private void emit(int y) {
            for (int c = 0; c < 3; c++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = 0; k < rows.count[y]; k++) s += rows.w[y][k] * mid[(c * ring + (rows.first[y] + k) % ring) * w + x];
                    out[(c * h + y) * w + x] = (float) s;
                }
        }

        /** The resized image, once every source row was given. */
        public RgbImage result() {
            if (received != sh || emitted != h) throw new IllegalStateException(received + " of " + sh + " source rows were given");
            return new RgbImage(w, h, out);
        }
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
