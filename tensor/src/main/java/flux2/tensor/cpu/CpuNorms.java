package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuNorms {
    private CpuNorms() {}
    static void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out) { throw new UnsupportedOperationException("CpuNorms not implemented yet"); }
    static void rmsNorm(Tensor x, Tensor w, double eps, Tensor out) { throw new UnsupportedOperationException("CpuNorms not implemented yet"); }
    static void groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, Tensor out) { throw new UnsupportedOperationException("CpuNorms not implemented yet"); }
    static void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out) { throw new UnsupportedOperationException("CpuNorms not implemented yet"); }
}
