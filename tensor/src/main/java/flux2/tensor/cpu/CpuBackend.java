package flux2.tensor.cpu;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.BinaryOp;
import flux2.tensor.Parallel;
import flux2.tensor.ReduceOp;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** The CPU backend: Java Vector API kernels over off-heap memory, multithreaded with {@link Parallel}. */
public final class CpuBackend implements Backend {
    @Override public String name() { return "cpu"; }

    /** One line for diagnostics: SIMD width and threads. */
    public String describe() {
        return "Vector API " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit ("
                + FloatVector.SPECIES_PREFERRED.length() + " floats), " + Parallel.threads() + " threads";
    }

    @Override public MemorySegment allocate(long bytes, TensorArena arena) { return arena.allocate(bytes); }

    @Override public void copy(Tensor src, Tensor dst) { CpuCopy.copy(src, dst); }

    @Override public void fill(Tensor dst, double value) { CpuCopy.fill(dst, value); }

    @Override public void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) { CpuElementwise.unary(op, x, p0, p1, out); }

    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) { CpuElementwise.binary(op, a, b, out); }

    @Override public void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) { CpuReduce.reduce(op, x, axes, out); }

    @Override public void softmax(Tensor x, Tensor out) { CpuReduce.softmax(x, out); }

    @Override public void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out) { CpuNorms.layerNorm(x, w, b, eps, out); }

    @Override public void rmsNorm(Tensor x, Tensor w, double eps, Tensor out) { CpuNorms.rmsNorm(x, w, eps, out); }

    @Override public void groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, Tensor out) { CpuNorms.groupNorm(x, groups, w, b, eps, out); }

    @Override public void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out) { CpuNorms.rope(layout, x, cos, sin, out); }

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate) { CpuMatmul.matmul(a, b, out, accumulate); }

    @Override
    public void attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        CpuAttention.forward(spec, q, k, v, keyMask, out, lse);
    }

    @Override
    public void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                                  Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        CpuAttention.backward(spec, q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) {
        CpuConv.conv2d(x, w, bias, stride, padding, out);
    }

    @Override
    public void conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, Tensor dx) {
        CpuConvBackward.backwardInput(dOut, w, stride, padding, dx);
    }

    @Override
    public void conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, Tensor dw) {
        CpuConvBackward.backwardWeight(x, dOut, stride, padding, dw);
    }

    @Override public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) { CpuIndex.indexSelect(x, dim, index, out); }

    @Override public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { CpuIndex.indexAdd(dst, dim, index, src); }
}
