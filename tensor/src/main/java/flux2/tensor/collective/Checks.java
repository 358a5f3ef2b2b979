package flux2.tensor.collective;

import flux2.tensor.DType;
import flux2.tensor.Tensor;

/** The argument checks every implementation of {@link Collectives} makes, with the same messages. */
public final class Checks {
    private Checks() {}

    /** An all-reduce takes a contiguous F32 or BF16 tensor. */
    public static void reducible(String op, Tensor t) {
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16)
            throw new IllegalArgumentException(op + ": " + t.dtype() + " tensors cannot be reduced; F32 and BF16 can");
        contiguous(op, t);
    }

    public static void contiguous(String op, Tensor t) {
        if (!t.isContiguous()) throw new IllegalArgumentException(op + ": the tensor must be contiguous, got " + t);
    }

    public static void root(int root, int world) {
        if (root < 0 || root >= world) throw new IllegalArgumentException("broadcast root " + root + " is not a rank of a world of " + world);
    }

    /** out holds world times in's elements, in in's dtype. */
    public static void gather(Tensor in, Tensor out, int world) {
        contiguous("all-gather", in);
        contiguous("all-gather", out);
        if (in.dtype() != out.dtype())
            throw new IllegalArgumentException("all-gather: input " + in.dtype() + " and output " + out.dtype() + " differ in dtype");
        if (out.numel() != in.numel() * world)
            throw new IllegalArgumentException("all-gather: the output has " + out.numel() + " elements, a world of " + world + " ranks of "
                    + in.numel() + " needs " + in.numel() * world);
    }
}
