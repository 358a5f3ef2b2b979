package flux2.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * fp8 e4m3fn of one weight row, as PyTorch's {@code float8_e4m3fn}: bits s eeee mmm, exponent bias 7, subnormals
 * below 2^-6, largest finite 448, no infinities (s 1111 111 is NaN). A row is stored as e4m3(w / s) with
 * s = max|w| / 448, rounded to nearest with ties to even; w ~ value * s.
 */
final class Fp8Codec {
    static final float MAX = 448f;
    /** The value of every code (NaN for the two NaN codes). */
    private static final float[] VALUES = new float[256];

    static {
        for (int c = 0; c < 256; c++) VALUES[c] = value(c);
    }

    private Fp8Codec() {}

    /** The value of code {@code c} from its bits. */
    static float value(int c) {
        int sign = (c >> 7) & 1, exp = (c >> 3) & 15, man = c & 7;
        if (exp == 15 && man == 7) return Float.NaN;
        float v = exp == 0 ? man / 8f * 0x1p-6f : (1 + man / 8f) * (float) Math.scalb(1.0, exp - 7);
        return sign == 1 ? -v : v;
    }

    /** The code nearest to finite {@code x} (ties to even), saturating at +-448. */
    static byte encode(float x) {
        int sign = Float.floatToRawIntBits(x) < 0 ? 0x80 : 0;
        float a = Math.abs(x);
        if (a >= MAX) return (byte) (sign | 0x7E);
        if (a < 0x1p-6f) {
            // subnormal: a multiple of 2^-9, rounded to nearest even by rint
            int m = (int) Math.rint(a * 0x1p9f);
            return (byte) (sign | m); // m = 8 is the smallest normal, exponent 1 and mantissa 0
        }
        int e = Math.getExponent(a);
        // three mantissa bits: a / 2^e in [1, 2) in steps of 1/8, rounded to nearest even
        int m = (int) Math.rint((a / (float) Math.scalb(1.0, e) - 1) * 8);
        if (m == 8) {
            m = 0;
            e++;
        }
        int code = ((e + 7) << 3) | m;
        return (byte) (sign | Math.min(code, 0x7E));
    }

    /** Quantizes w[0, n) into q and returns the row's scale (0 for an all-zero row, non-finite when w is). */
    static float quantizeRow(float[] w, int n, byte[] q) {
        float absMax = Rounding.absMax(w, 0, n);
        float scale = absMax / MAX;
        if (!(scale > 0) || !Float.isFinite(scale)) {
            java.util.Arrays.fill(q, 0, n, (byte) 0);
            return scale;
        }
        for (int i = 0; i < n; i++) q[i] = encode(w[i] / scale);
        return scale;
    }

    /** dst[di + t] = value(q[off + t]) * scale for t < len, q read as bytes at byte offset off of data. */
    static void decode(MemorySegment data, long off, float scale, float[] dst, int di, int len) {
        for (int t = 0; t < len; t++) dst[di + t] = VALUES[data.get(ValueLayout.JAVA_BYTE, off + t) & 0xFF] * scale;
    }
}
