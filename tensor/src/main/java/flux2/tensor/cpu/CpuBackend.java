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

    /** Fails clearly when a tensor of a device backend reaches a host kernel. */
    private static void host(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && !t.backend().isHost())
                throw new IllegalArgumentException("cpu " + op + ": a tensor lives on " + t.backend().name()
                        + "; move it with Tensor.to(backend) first (" + t + ")");
    }

    /** One line for diagnostics: SIMD width and threads. */
    public String describe() {
        return "Vector API " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit ("
                + FloatVector.SPECIES_PREFERRED.length() + " floats), " + Parallel.threads() + " threads";
    }

    @Override public MemorySegment allocate(long bytes, TensorArena arena) { return arena.allocate(bytes); }

    @Override public void copy(Tensor src, Tensor dst) { host("copy", src, dst); CpuCopy.copy(src, dst); }

    @Override public void fill(Tensor dst, double value) { host("fill", dst); CpuCopy.fill(dst, value); }

    @Override public void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out) { host("unary", x, out); CpuElementwise.unary(op, x, p0, p1, out); }

    @Override public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) { host("binary", a, b, out); CpuElementwise.binary(op, a, b, out); }

    @Override public void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out) { host("reduce", x, out); CpuReduce.reduce(op, x, axes, out); }

    @Override public void softmax(Tensor x, Tensor out) { host("softmax", x, out); CpuReduce.softmax(x, out); }

    @Override public void layerNorm(Tensor x, Tensor w, Tensor b, double eps, Tensor out) { host("layerNorm", x, w, b, out); CpuNorms.layerNorm(x, w, b, eps, out); }

    @Override public void rmsNorm(Tensor x, Tensor w, double eps, Tensor out) { host("rmsNorm", x, w, out); CpuNorms.rmsNorm(x, w, eps, out); }

    @Override public void groupNorm(Tensor x, int groups, Tensor w, Tensor b, double eps, Tensor out) { host("groupNorm", x, w, b, out); CpuNorms.groupNorm(x, groups, w, b, eps, out); }

    @Override public void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out) { host("rope", x, cos, sin, out); CpuNorms.rope(layout, x, cos, sin, out); }

    @Override public void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate) { host("matmul", a, b, out); CpuMatmul.matmul(a, b, out, accumulate); }

    @Override
    public void attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        host("attention", q, k, v, keyMask, out, lse);
        CpuAttention.forward(spec, q, k, v, keyMask, out, lse);
    }

    @Override
    public void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                                  Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        host("attentionBackward", q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
        CpuAttention.backward(spec, q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
    }

    @Override
    public void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out) {
        host("conv2d", x, w, bias, out);
        CpuConv.conv2d(x, w, bias, stride, padding, out);
    }

    @Override
    public void conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, Tensor dx) {
        host("conv2dBackwardInput", dOut, w, dx);
        CpuConvBackward.backwardInput(dOut, w, stride, padding, dx);
    }

    @Override
    public void conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, Tensor dw) {
        host("conv2dBackwardWeight", x, dOut, dw);
        CpuConvBackward.backwardWeight(x, dOut, stride, padding, dw);
    }

    @Override public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) { host("indexSelect", x, index, out); CpuIndex.indexSelect(x, dim, index, out); }

    @Override public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { host("indexAdd", dst, index, src); CpuIndex.indexAdd(dst, dim, index, src); }

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                          double eps, double weightDecay, long step) {
        host("adamwStep", param, grad, m, v);
        CpuAdamW.step(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }
}
