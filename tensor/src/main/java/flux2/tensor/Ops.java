package flux2.tensor;

import flux2.tensor.ops.AdamWStep;
import flux2.tensor.ops.MatmulDims;
import flux2.tensor.ops.Operands;
import flux2.tensor.ops.Reduction;

/** Allocation and broadcasting around the backend kernels; the eager math of {@link Tensor} goes through here. */
public final class Ops {
    private Ops() {}

    static DType resultType(Tensor a, Tensor b) {
        return a.dtype() == b.dtype() && a.dtype().isFloating() ? a.dtype() : DType.F32;
    }

    public static Tensor unary(UnaryOp op, Tensor x, double p0, double p1) {
        Operands.requireUnpacked("unary " + op + " input", x);
        Tensor out = x.newEmpty(x.dtype().isFloating() ? x.dtype() : DType.F32, x.shape());
        x.backend().unary(op, x, p0, p1, out);
        return out;
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Operands.requireUnpacked("binary " + op + " input", a);
        Operands.requireUnpacked("binary " + op + " input", b);
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        Tensor out = a.newEmpty(resultType(a, b), shape);
        a.backend().binary(op, a.expand(shape), b.expand(shape), out);
        return out;
    }

    /** Reduction over axes (all axes if empty); keepDim keeps them with size 1. */
    public static Tensor reduce(ReduceOp op, Tensor x, boolean keepDim, int... axes) {
        Reduction r = Reduction.of(op, x, axes);
        Tensor out = x.newEmpty(op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, r.keptShape());
        x.backend().reduce(r, x, out);
        return keepDim ? out : out.reshape(r.droppedShape());
    }

    public static Tensor softmax(Tensor x) {
        Operands.requireUnpacked("softmax input", x);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().softmax(x, out);
        return out;
    }

    /** a [..., M, K] x b [..., K, N] with broadcast batch axes; b may be a 2-D (possibly transposed BF16) weight. */
    public static Tensor matmul(Tensor a, Tensor b) {
        MatmulDims dims = MatmulDims.of(a, b);
        Tensor out = a.newEmpty(DType.F32, dims.outShape());
        a.backend().matmul(dims, a.expand(dims.aShape()), b.expand(dims.bShape()), out, false);
        return out;
    }

    /** One AdamW update of param in place from grad, with the moments m and v (see {@link AdamWStep}). */
    public static void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                                 double eps, double weightDecay, long step) {
        AdamWStep s = AdamWStep.of(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        param.backend().adamwStep(s, param, grad, m, v);
    }
}
