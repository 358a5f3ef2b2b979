package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

/** Random tensors and element-by-element comparison against double-precision references. */
final class TestData {
    private TestData() {}

    /** A contiguous tensor of dtype dt with values uniform in [lo, hi) (rounded to dt). */
    static Tensor uniform(Random r, DType dt, double lo, double hi, int... shape) {
        float[] v = new float[Math.toIntExact(flux2.tensor.Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        Tensor t = Tensor.of(v, shape);
        return dt == DType.F32 ? t : t.to(dt);
    }

    static Tensor normal(Random r, double scale, int... shape) {
        float[] v = new float[Math.toIntExact(flux2.tensor.Shapes.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (scale * r.nextGaussian());
        return Tensor.of(v, shape);
    }

    /** All elements in row-major order, read one by one through the view (independent of the kernels). */
    static double[] values(Tensor t) {
        int[] shape = t.shape();
        double[] out = new double[Math.toIntExact(t.numel())];
        if (t.dtype() == DType.F32 && t.isContiguous()) {
            for (int e = 0; e < out.length; e++) out[e] = t.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, (t.offset() + e) * 4);
            return out;
        }
        int[] idx = new int[shape.length];
        for (int e = 0; e < out.length; e++) {
            out[e] = t.get(idx);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }


    /** Asserts |got - expected| <= rtol |expected| + atol for every element (NaN must match NaN). */
    static void assertClose(double[] expected, Tensor got, double rtol, double atol, String what) {
        double[] g = values(got);
        if (g.length != expected.length) fail(what + ": " + g.length + " elements, expected " + expected.length);
        for (int i = 0; i < g.length; i++) {
            double e = expected[i];
            if (Double.isNaN(e) || Double.isNaN(g[i])) {
                if (Double.isNaN(e) != Double.isNaN(g[i])) fail(what + ": element " + i + " of " + Arrays.toString(got.shape()) + " is " + g[i] + ", expected " + e);
                continue;
            }
            if (Double.isInfinite(e) || Double.isInfinite(g[i])) {
                if (e != g[i]) fail(what + ": element " + i + " of " + Arrays.toString(got.shape()) + " is " + g[i] + ", expected " + e);
                continue;
            }
            double tol = rtol * Math.abs(e) + atol;
            if (!(Math.abs(g[i] - e) <= tol))
                fail(what + ": element " + i + " (index " + Arrays.toString(Strided.unravel(got.shape(), i)) + " of " + Arrays.toString(got.shape())
                        + ") is " + g[i] + ", expected " + e + " (error " + Math.abs(g[i] - e) + " > " + tol + ")");
        }
    }
}
