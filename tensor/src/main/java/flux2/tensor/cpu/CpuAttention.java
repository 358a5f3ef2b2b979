package flux2.tensor.cpu;

import flux2.tensor.*;

/** Placeholder until implemented. */
final class CpuAttention {
    private CpuAttention() {}
    static void forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) { throw new UnsupportedOperationException("CpuAttention not implemented yet"); }
    static void backward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) { throw new UnsupportedOperationException("CpuAttention not implemented yet"); }
}
