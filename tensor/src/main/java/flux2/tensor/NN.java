package flux2.tensor;

import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.RopeTable;
import flux2.tensor.ops.RowNormDims;

/** Neural-network kernels with allocation: norms, rotary embeddings, fused attention, convolution. */
public final class NN {
    private NN() {}

    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        RowNormDims dims = RowNormDims.of("layerNorm", x, weight, bias, eps);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().layerNorm(dims, x, weight, bias, out);
        return out;
    }

    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        RowNormDims dims = RowNormDims.of("rmsNorm", x, weight, null, eps);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().rmsNorm(dims, x, weight, out);
        return out;
    }

    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        GroupNormDims dims = GroupNormDims.of(x, groups, weight, bias, eps);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().groupNorm(dims, x, weight, bias, out);
        return out;
    }

    public static Tensor rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin) {
        RopeTable table = RopeTable.of(layout, x, cos, sin);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().rope(table, x, out);
        return out;
    }

    /** Output and log-sum-exp of fused attention (see {@link Backend#attention}). */
    public record AttentionResult(Tensor out, Tensor lse) {}

    public static AttentionResult attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask) {
        AttentionDims dims = AttentionDims.forward(spec, q, k, v, keyMask);
        Tensor out = q.newEmpty(DType.F32, dims.outShape());
        Tensor lse = q.newEmpty(DType.F32, dims.lseShape());
        q.backend().attention(dims, q, k, v, keyMask, out, lse);
        return new AttentionResult(out, lse);
    }

    /** Gradients (dq, dk, dv) of fused attention. */
    public static Tensor[] attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask,
                                             AttentionResult fwd, Tensor dOut) {
        AttentionDims dims = AttentionDims.backward(spec, q, k, v, keyMask, fwd.out(), fwd.lse(), dOut);
        Tensor dq = q.newEmpty(DType.F32, q.shape());
        Tensor dk = q.newEmpty(DType.F32, k.shape());
        Tensor dv = q.newEmpty(DType.F32, v.shape());
        q.backend().attentionBackward(dims, q, k, v, keyMask, fwd.out(), fwd.lse(), dOut, dq, dk, dv);
        return new Tensor[]{dq, dk, dv};
    }

    /** conv2d with symmetric padding p on all sides. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return conv2d(x, w, bias, new int[]{stride, stride}, new int[]{padding, padding, padding, padding});
    }

    /** conv2d with stride (sh, sw) and padding (top, bottom, left, right). */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        ConvGeometry g = ConvGeometry.forward(x, w, bias, stride, padding);
        Tensor out = x.newEmpty(DType.F32, g.outputShape());
        x.backend().conv2d(g, x, w, bias, out);
        return out;
    }

    /** Gradient of conv2d wrt its input, of shape {@code inputShape} [N, Cin, H, W], F32. */
    public static Tensor conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, int[] inputShape) {
        ConvGeometry g = ConvGeometry.backwardInput(dOut, w, stride, padding, inputShape);
        Tensor dx = dOut.newEmpty(DType.F32, g.inputShape());
        dOut.backend().conv2dBackwardInput(g, dOut, w, dx);
        return dx;
    }

    /** Gradient of conv2d wrt its weight, of shape {@code weightShape} [Cout, Cin, kh, kw], F32. */
    public static Tensor conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, int[] weightShape) {
        ConvGeometry g = ConvGeometry.backwardWeight(x, dOut, stride, padding, weightShape);
        Tensor dw = x.newEmpty(DType.F32, g.weightShape());
        x.backend().conv2dBackwardWeight(g, x, dOut, dw);
        return dw;
    }
}
