package flux2.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * A shape shared by several operands, with each operand's strides, reduced to at most {@value #RANK} axes:
 * size-1 axes dropped and neighbouring axes merged where every operand is contiguous across them. Kernels take
 * the result as six sizes and, per operand, six strides (outermost first, padded in front with size 1).
 */
final class Collapsed {
    static final int RANK = 6;

    final int[] sizes = new int[RANK];
    final long[][] strides;
    final long numel;

    private Collapsed(int operands, long numel) {
        this.strides = new long[operands][RANK];
        this.numel = numel;
    }

    /** The collapsed layout, or null when more than six axes remain. */
    static Collapsed of(int[] shape, long[]... operandStrides) {
        List<Integer> dims = new ArrayList<>();
        List<long[]> strs = new ArrayList<>();
        long numel = 1;
        for (int d : shape) numel *= d;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) continue;
            long[] s = new long[operandStrides.length];
            for (int k = 0; k < s.length; k++) s[k] = operandStrides[k][i];
            if (!dims.isEmpty()) {
                int last = dims.size() - 1;
                long[] ls = strs.get(last);
                boolean merge = (long) dims.get(last) * shape[i] <= Integer.MAX_VALUE;
                for (int k = 0; k < s.length; k++) if (ls[k] != s[k] * shape[i]) { merge = false; break; }
                if (merge) {
                    dims.set(last, dims.get(last) * shape[i]);
                    strs.set(last, s);
                    continue;
                }
            }
            dims.add(shape[i]);
            strs.add(s);
        }
        if (dims.size() > RANK) return null;
        Collapsed c = new Collapsed(operandStrides.length, numel);
        int pad = RANK - dims.size();
        for (int i = 0; i < RANK; i++) {
            c.sizes[i] = i < pad ? 1 : dims.get(i - pad);
            for (int k = 0; k < operandStrides.length; k++) c.strides[k][i] = i < pad ? 0 : strs.get(i - pad)[k];
        }
        return c;
    }

    /** Appends the six sizes. */
    KernelArgs shape(KernelArgs a) {
        for (int s : sizes) a.i(s);
        return a;
    }

    /** Appends the six strides of operand k. */
    KernelArgs strides(KernelArgs a, int k) {
        for (long s : strides[k]) a.l(s);
        return a;
    }
}
