package flux2.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Symmetric int8 of one weight row: q = round(w / s) in [-127, 127] with s = max|w| / 127; w ~ q * s. */
final class Int8Codec {
    static final int MAX = 127;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Int8Codec() {}

    /** Quantizes w[0, n) into q and returns the row's scale (0 for an all-zero row). */
    static float quantizeRow(float[] w, int n, byte[] q) {
        float absMax = Rounding.absMax(w, 0, n);
        float scale = absMax / MAX;
        Rounding.quantize(w, 0, n, scale, 0, -MAX, MAX, q, 0);
        return scale;
    }

    /** dst[di + t] = q[off + t] * scale for t < len, q read as bytes at byte offset off of data. */
    static void decode(MemorySegment data, long off, float scale, float[] dst, int di, int len) {
        int t = 0;
        FloatVector s = FloatVector.broadcast(S, scale);
        for (; t + 8 <= len; t += 8) {
            ByteVector b = ByteVector.fromMemorySegment(ByteVector.SPECIES_64, data, off + t, LE);
            ((FloatVector) b.convertShape(VectorOperators.B2F, S, 0)).mul(s).intoArray(dst, di + t);
        }
        for (; t < len; t++) dst[di + t] = data.get(ValueLayout.JAVA_BYTE, off + t) * scale;
    }
}
