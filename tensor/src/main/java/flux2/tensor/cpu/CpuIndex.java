package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuIndex {
    private CpuIndex() {}
    static void indexSelect(Tensor x, int dim, Tensor index, Tensor out) { throw new UnsupportedOperationException("CpuIndex not implemented yet"); }
    static void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw new UnsupportedOperationException("CpuIndex not implemented yet"); }
}
