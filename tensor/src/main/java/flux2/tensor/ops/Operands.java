package flux2.tensor.ops;

import flux2.tensor.Tensor;
import java.util.Arrays;

/** Checks shared by the op contracts: dtypes the kernels can read and operands of one shape. */
public final class Operands {
    private Operands() {}

    /** A clear error for a packed dtype (I4), which no kernel reads elementwise. */
    public static void requireUnpacked(String what, Tensor t) {
        if (t.dtype().isPacked())
            throw new IllegalArgumentException(what + " has packed dtype " + t.dtype() + "; unpack it first");
    }

    /** A clear error unless every input has the output's shape. */
    public static void requireSameShape(String op, Tensor out, Tensor... in) {
        for (Tensor t : in)
            if (!Arrays.equals(t.shape(), out.shape()))
                throw new IllegalArgumentException(op + ": input shape " + Arrays.toString(t.shape()) + " differs from output shape "
                        + Arrays.toString(out.shape()));
    }
}
