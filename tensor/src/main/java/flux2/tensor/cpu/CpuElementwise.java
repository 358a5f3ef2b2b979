package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuElementwise {
    private CpuElementwise() {}
    static void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) { throw new UnsupportedOperationException("CpuElementwise not implemented yet"); }
    static void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) { throw new UnsupportedOperationException("CpuElementwise not implemented yet"); }
}
