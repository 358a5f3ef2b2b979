package flux2.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scales per input column of a quantized weight: c[i] = max over rows of |W[r, i]|. The rows are quantized after
 * division by c, and decoded values are multiplied by it again, so a column of large weights sets its own range
 * instead of the range of every row (or group) it crosses.
 */
final class ColumnScales {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ColumnScales() {}

    /** row[i] /= c[i] for every column with c[i] > 0; a column that is zero everywhere stays zero. */
    static void divide(float[] row, float[] c, int n) {
        for (int i = 0; i < n; i++) row[i] = c[i] > 0 ? row[i] / c[i] : 0;
    }

    /** dst[di + t] *= c[t] for t < len, with c read as floats from byte offset off of columns. */
    static void multiply(MemorySegment columns, long off, float[] dst, int di, int len) {
        int t = 0;
        for (; t + 8 <= len; t += 8)
            FloatVector.fromArray(S, dst, di + t).mul(FloatVector.fromMemorySegment(S, columns, off + 4L * t, ByteOrder.LITTLE_ENDIAN))
                    .intoArray(dst, di + t);
        for (; t < len; t++) dst[di + t] *= columns.get(F, off + 4L * t);
    }
}
