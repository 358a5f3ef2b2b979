package flux2.tensor.cpu;

import flux2.tensor.Backend;
import flux2.tensor.BinaryOp;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import flux2.tensor.ops.AdamWStep;
import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.IndexAxis;
import flux2.tensor.ops.MatmulDims;
import flux2.tensor.ops.Reduction;
import flux2.tensor.ops.RopeTable;
import flux2.tensor.ops.RowNormDims;
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

    @Override public void reduce(Reduction r, Tensor x, Tensor out) { host("reduce", x, out); CpuReduce.reduce(r, x, out); }

    @Override public void softmax(Tensor x, Tensor out) { host("softmax", x, out); CpuReduce.softmax(x, out); }

    @Override public void layerNorm(RowNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) { host("layerNorm", x, w, b, out); CpuNorms.layerNorm(dims, x, w, b, out); }

    @Override public void rmsNorm(RowNormDims dims, Tensor x, Tensor w, Tensor out) { host("rmsNorm", x, w, out); CpuNorms.rmsNorm(dims, x, w, out); }

    @Override public void groupNorm(GroupNormDims dims, Tensor x, Tensor w, Tensor b, Tensor out) { host("groupNorm", x, w, b, out); CpuNorms.groupNorm(dims, x, w, b, out); }

    @Override public void rope(RopeTable table, Tensor x, Tensor out) { host("rope", x, table.cos(), table.sin(), out); CpuRope.rope(table, x, out); }

    @Override public void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate) { host("matmul", a, b, out); CpuMatmul.matmul(dims, a, b, out, accumulate); }

    @Override
    public void attention(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        host("attention", q, k, v, keyMask, out, lse);
        CpuAttention.forward(dims, q, k, v, keyMask, out, lse);
    }

    @Override
    public void attentionBackward(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                                  Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        host("attentionBackward", q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
        CpuAttention.backward(dims, q, k, v, keyMask, out, lse, dOut, dq, dk, dv);
    }

    @Override
    public void conv2d(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor out) {
        host("conv2d", x, w, bias, out);
        CpuConv.conv2d(g, x, w, bias, out);
    }

    @Override
    public void conv2dBackwardInput(ConvGeometry g, Tensor dOut, Tensor w, Tensor dx) {
        host("conv2dBackwardInput", dOut, w, dx);
        CpuConvBackward.backwardInput(g, dOut, w, dx);
    }

    @Override
    public void conv2dBackwardWeight(ConvGeometry g, Tensor x, Tensor dOut, Tensor dw) {
        host("conv2dBackwardWeight", x, dOut, dw);
        CpuConvBackward.backwardWeight(g, x, dOut, dw);
    }

    @Override public void indexSelect(IndexAxis ix, Tensor x, Tensor index, Tensor out) { host("indexSelect", x, index, out); CpuIndex.indexSelect(ix, x, out); }

    @Override public void indexAdd(IndexAxis ix, Tensor dst, Tensor index, Tensor src) { host("indexAdd", dst, index, src); CpuIndex.indexAdd(ix, dst, src); }

    @Override
    public void adamwStep(AdamWStep step, Tensor param, Tensor grad, Tensor m, Tensor v) {
        host("adamwStep", param, grad, m, v);
        CpuAdamW.step(step, param, grad, m, v);
    }
}
