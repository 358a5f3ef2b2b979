package flux2.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of a vector's lanes in a fixed order (pairs of halves, then quarters, ...). The Vector API leaves the
 * order of reduceLanes(ADD) to the implementation, and the interpreted and compiled forms differ in the last
 * bit, which would make results change while the JIT warms up.
 */
final class LaneSum {
    private LaneSum() {}

    private static final int MAX_STEPS = 5;

    private static <E> VectorShuffle<E>[] swaps(VectorSpecies<E> sp) {
        @SuppressWarnings("unchecked")
        VectorShuffle<E>[] s = new VectorShuffle[MAX_STEPS];
        int i = 0;
        for (int half = sp.length() / 2; half >= 1; half /= 2) {
            final int h = half;
            s[i++] = VectorShuffle.fromOp(sp, j -> j ^ h);
        }
        return java.util.Arrays.copyOf(s, i);
    }

    private static final VectorShuffle<Float>[] F256 = swaps(FloatVector.SPECIES_256);
    private static final VectorShuffle<Float>[] FPREF = swaps(FloatVector.SPECIES_PREFERRED);
    private static final VectorShuffle<Double>[] DPREF_256 = swaps(DoubleVector.SPECIES_256);
    private static final VectorShuffle<Double>[] DPREF = swaps(DoubleVector.SPECIES_PREFERRED);

    static float sum(FloatVector v) {
        VectorShuffle<Float>[] s = v.species() == FloatVector.SPECIES_256 ? F256 : v.species() == FloatVector.SPECIES_PREFERRED ? FPREF : swaps(v.species());
        for (VectorShuffle<Float> sh : s) v = v.add(v.rearrange(sh));
        return v.lane(0);
    }

    static double sum(DoubleVector v) {
        VectorShuffle<Double>[] s = v.species() == DoubleVector.SPECIES_256 ? DPREF_256 : v.species() == DoubleVector.SPECIES_PREFERRED ? DPREF : swaps(v.species());
        for (VectorShuffle<Double> sh : s) v = v.add(v.rearrange(sh));
        return v.lane(0);
    }
}
