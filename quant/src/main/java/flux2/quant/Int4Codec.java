package flux2.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * int4 of one weight row in groups: w ~ (q - z) * s with q a signed nibble in [-8, 7]. Symmetric groups have
 * z = 0 and s = max|w| / 7; groups with a zero point map [min(w, 0), max(w, 0)] onto all 16 levels. Element i
 * of a row lives in byte i / 2, low nibble first; a row of odd length ends in a half-used byte. Groups run from
 * the start of the row, so only the last one may be shorter.
 */
final class Int4Codec {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Left shifts that bring nibble l of an int to the top, so that an arithmetic shift by 28 sign-extends it. */
    private static final IntVector SHIFTS = IntVector.fromArray(IntVector.SPECIES_256, new int[]{28, 24, 20, 16, 12, 8, 4, 0}, 0);

    private Int4Codec() {}

    /**
     * Quantizes w[0, n) into packed ((n + 1) / 2 bytes, an odd row's last high nibble 0), scales and zeros
     * (ceil(n / group) each); the last group holds the n % group elements left over when group does not divide n.
     */
    static void quantizeRow(float[] w, int n, int group, boolean zeroPoint, byte[] packed, float[] scales, float[] zeros, byte[] q) {
        for (int g = 0; g * group < n; g++) {
            int i0 = g * group, len = Math.min(group, n - i0);
            float lo = Math.min(0, Rounding.min(w, i0, len)), hi = Math.max(0, Rounding.max(w, i0, len));
            float s, z;
            if (zeroPoint) {
                s = (hi - lo) / 15;
                // The unsigned zero rint(-lo / s) lies in [0, 15]; stored shifted by -8 like the values.
                z = s == 0 ? 0 : (float) Math.rint(-lo / s) - 8;
            } else {
                s = Math.max(-lo, hi) / 7;
                z = 0;
            }
            scales[g] = s;
            zeros[g] = z;
            Rounding.quantize(w, i0, len, s, z, -8, 7, q, i0);
        }
        for (int b = 0; b < n / 2; b++) packed[b] = (byte) ((q[2 * b] & 0xf) | (q[2 * b + 1] << 4));
        if ((n & 1) != 0) packed[n / 2] = (byte) (q[n - 1] & 0xf);
    }

    /**
     * Decodes elements [i0, i0 + len) of one row into dst[di...]: the row's packed bytes start at byte rowOff of
     * data, its group scales at byte sOff of scales and its zeros (when zeros is non-null) at byte zOff of zeros.
     */
    static void decode(MemorySegment data, long rowOff, MemorySegment scales, long sOff, MemorySegment zeros, long zOff,
                       int group, int i0, int len, float[] dst, int di) {
        int i = i0, end = i0 + len;
        while (i < end) {
            int g = i / group, stop = Math.min(end, (g + 1) * group);
            float s = scales.get(F, sOff + 4L * g), z = zeros == null ? 0 : zeros.get(F, zOff + 4L * g);
            FloatVector sv = FloatVector.broadcast(S, s), bias = FloatVector.broadcast(S, -z * s);
            int d = di + (i - i0);
            if ((i & 1) == 0) {
                for (; i + 8 <= stop; i += 8, d += 8) {
                    int bits = data.get(I32, rowOff + (i >> 1));
                    IntVector q = IntVector.broadcast(IntVector.SPECIES_256, bits).lanewise(VectorOperators.LSHL, SHIFTS)
                            .lanewise(VectorOperators.ASHR, 28);
                    ((FloatVector) q.convert(VectorOperators.I2F, 0)).fma(sv, bias).intoArray(dst, d);
                }
            }
            for (; i < stop; i++, d++) dst[d] = (nibble(data, rowOff, i) - z) * s;
        }
    }

    /** The signed value of element i of the row at rowOff. */
    static int nibble(MemorySegment data, long rowOff, int i) {
        int b = data.get(ValueLayout.JAVA_BYTE, rowOff + (i >> 1));
        return (i & 1) == 0 ? (b << 28) >> 28 : b >> 4;
    }
}
