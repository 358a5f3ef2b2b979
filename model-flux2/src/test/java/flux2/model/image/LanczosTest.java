package flux2.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Lanczos resizing against a direct two-dimensional evaluation of its definition, and the crops. */
class LanczosTest {
    private static RgbImage random(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] v = new float[3 * w * h];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(256);
        return new RgbImage(w, h, v);
    }

    /** sinc(x) sinc(x/3) written from its definition, sinc(t) = sin(pi t) / (pi t). */
    private static double lanczos3(double x) {
        if (Math.abs(x) >= 3) return 0;
        return sinc(x) * sinc(x / 3);
    }

    private static double sinc(double t) { return t == 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t); }

    /**
     * Output pixel (X, Y): sum over every source pixel of k(dx) k(dy) v over the sum of k(dx) k(dy), where
     * d is the distance between pixel centres in source pixels divided by max(1, scale).
     */
    private static double direct(RgbImage img, int c, int outW, int outH, int X, int Y) {
        double sx = (double) img.width() / outW, sy = (double) img.height() / outH;
        double cx = (X + 0.5) * sx, cy = (Y + 0.5) * sy, num = 0, den = 0;
        for (int j = 0; j < img.height(); j++)
            for (int i = 0; i < img.width(); i++) {
                double k = lanczos3((i + 0.5 - cx) / Math.max(1, sx)) * lanczos3((j + 0.5 - cy) / Math.max(1, sy));
                num += k * img.get(c, i, j);
                den += k;
            }
        return num / den;
    }

    @Test
    void matchesTheDirectDefinitionWhenShrinkingAndGrowing() {
        RgbImage img = random(23, 17, 1);
        for (int[] size : new int[][]{{10, 7}, {41, 30}, {23, 9}, {5, 40}}) {
            RgbImage out = Lanczos.resize(img, size[0], size[1]);
            double worst = 0;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size[1]; y++)
                    for (int x = 0; x < size[0]; x++)
                        worst = Math.max(worst, Math.abs(out.get(c, x, y) - direct(img, c, size[0], size[1], x, y)));
            assertTrue(worst < 1e-3, size[0] + "x" + size[1] + ": largest difference " + worst);
        }
    }

    /** The two passes over whole images, as resizing was written before rows were streamed: the sums the cache was built with. */
    private static RgbImage wholeImagePasses(RgbImage img, int w, int h) {
        int sw = img.width(), sh = img.height();
        float[] src = img.data(), mid = new float[3 * sh * w], out = new float[3 * h * w];
        double[][] cw = weights(sw, w), rw = weights(sh, h);
        int[] cf = firsts(sw, w), rf = firsts(sh, h);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = 0; k < cw[x].length; k++) s += cw[x][k] * src[(c * sh + y) * sw + cf[x] + k];
                    mid[(c * sh + y) * w + x] = (float) s;
                }
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = 0; k < rw[y].length; k++) s += rw[y][k] * mid[(c * sh + rf[y] + k) * w + x];
                    out[(c * h + y) * w + x] = (float) s;
                }
        return new RgbImage(w, h, out);
    }

    private static int[] firsts(int in, int out) {
        double scale = (double) in / out, support = 3 * Math.max(scale, 1);
        int[] f = new int[out];
        for (int i = 0; i < out; i++) f[i] = Math.max(0, (int) Math.floor((i + 0.5) * scale - support));
        return f;
    }

    private static double[][] weights(int in, int out) {
        double scale = (double) in / out, stretch = Math.max(scale, 1), support = 3 * stretch;
        double[][] w = new double[out][];
        for (int i = 0; i < out; i++) {
            double centre = (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(centre - support)), hi = Math.min(in, (int) Math.ceil(centre + support));
            w[i] = new double[hi - lo];
            double sum = 0;
            for (int j = lo; j < hi; j++) sum += w[i][j - lo] = Lanczos.kernel((j + 0.5 - centre) / stretch);
            for (int k = 0; k < w[i].length; k++) w[i][k] /= sum;
        }
        return w;
    }

    @Test
    void streamedRowsGiveTheWholeImageResultBitForBit() {
        RgbImage img = random(97, 61, 4);
        for (int[] size : new int[][]{{10, 7}, {41, 30}, {97, 5}, {3, 61}, {200, 150}, {1, 1}})
            assertEquals(wholeImagePasses(img, size[0], size[1]), Lanczos.resize(img, size[0], size[1]), size[0] + "x" + size[1]);
        Lanczos.Rows rows = new Lanczos.Rows(4, 3, 2, 2);
        assertThrows(IllegalStateException.class, rows::result, "a result before every row was given");
    }

    @Test
    void constantsStayConstantAndSameSizeIsIdentity() {
        float[] v = new float[3 * 20 * 10];
        java.util.Arrays.fill(v, 77);
        RgbImage out = Lanczos.resize(new RgbImage(20, 10, v), 7, 13);
        for (float f : out.data()) assertEquals(77, f, 1e-3);
        RgbImage img = random(8, 8, 2);
        assertEquals(img, Lanczos.resize(img, 8, 8));
    }
}
