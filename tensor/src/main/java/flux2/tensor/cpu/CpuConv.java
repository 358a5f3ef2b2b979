package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuConv {
    private CpuConv() {}
    static void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) { throw new UnsupportedOperationException("CpuConv not implemented yet"); }
}
