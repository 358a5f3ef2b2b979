package flux2.tensor.ops;

import flux2.tensor.ReduceOp;
import flux2.tensor.Shapes;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked form of one reduction of x: the op, the reduced axes (ascending, each once) and the sizes of the
 * kept and reduced parts. Out has x's rank with size 1 on the reduced axes ({@link #keptShape}), dtype I64 for
 * ARGMAX. Built by {@link #of} and passed to {@link flux2.tensor.Backend#reduce}.
 *
 * @param kept    number of outputs
 * @param reduced number of elements each output reduces
 */
public record Reduction(ReduceOp op, int[] axes, int[] keptShape, long kept, long reduced) {

    public Reduction {
        axes = axes.clone();
        keptShape = keptShape.clone();
    }

    /** The reduction of x over {@code axes} (negative ones count from the end; none means all axes). */
    public static Reduction of(ReduceOp op, Tensor x, int... axes) {
        int r = x.rank();
        Operands.requireUnpacked(op + " input", x);
        boolean[] red = new boolean[r];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int a : axes) red[Shapes.axis(a, r)] = true;
        int count = 0;
        for (boolean b : red) if (b) count++;
        if (op == ReduceOp.ARGMAX && count != 1) throw new IllegalArgumentException("argmax takes exactly one axis");
        int[] list = new int[count], shape = x.shape(), keptShape = x.shape();
        long kept = 1, reduced = 1;
        for (int i = 0, j = 0; i < r; i++) {
            if (red[i]) { list[j++] = i; keptShape[i] = 1; reduced *= shape[i]; }
            else kept *= shape[i];
        }
        if (kept > 0 && reduced == 0 && op != ReduceOp.SUM && op != ReduceOp.MEAN)
            throw new IllegalArgumentException(op + " over an empty axis of shape " + Arrays.toString(shape) + " has no identity");
        return new Reduction(op, list, keptShape, kept, reduced);
    }

    /** For a caller that brings its own out: checks that it has {@link #keptShape}. */
    public Reduction checkOutput(Tensor out) {
        if (!Arrays.equals(out.shape(), keptShape))
            throw new IllegalArgumentException(op + " over axes " + Arrays.toString(axes) + " needs output shape "
                    + Arrays.toString(keptShape) + ", got " + Arrays.toString(out.shape()));
        return this;
    }

    @Override public int[] axes() { return axes.clone(); }

    @Override public int[] keptShape() { return keptShape.clone(); }

    /** Whether axis {@code axis} (non-negative) is reduced. */
    public boolean isReduced(int axis) {
        for (int a : axes) if (a == axis) return true;
        return false;
    }

    /** The output's shape without the reduced axes. */
    public int[] droppedShape() {
        int[] out = new int[keptShape.length - axes.length];
        for (int i = 0, j = 0; i < keptShape.length; i++) if (!isReduced(i)) out[j++] = keptShape[i];
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Reduction that && op == that.op && Arrays.equals(axes, that.axes)
                && Arrays.equals(keptShape, that.keptShape);
    }

    @Override public int hashCode() { return 31 * (31 * op.hashCode() + Arrays.hashCode(axes)) + Arrays.hashCode(keptShape); }

    @Override public String toString() {
        return "Reduction[" + op + " over " + Arrays.toString(axes) + " to " + Arrays.toString(keptShape) + "]";
    }
}
