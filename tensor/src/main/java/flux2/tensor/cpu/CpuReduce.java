package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuReduce {
    private CpuReduce() {}
    static void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) { throw new UnsupportedOperationException("CpuReduce not implemented yet"); }
    static void softmax(Tensor x, Tensor out) { throw new UnsupportedOperationException("CpuReduce not implemented yet"); }
}
