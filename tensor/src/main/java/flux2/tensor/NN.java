package flux2.tensor;

import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.ModulationDims;
import flux2.tensor.ops.NormBackwardDims;
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

    /** FLUX.2's adaptive LayerNorm, (1 + scale) * LayerNorm(x) + shift, for x [..., L, D] and shift, scale [..., 1, D]. */
    public static Tensor modulatedLayerNorm(Tensor x, Tensor shift, Tensor scale, double eps) {
        ModulationDims dims = ModulationDims.of(x, shift, scale, eps);
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().modulatedLayerNorm(dims, x, shift, scale, out);
        return out;
    }

    /** Gradients {dx, dWeight, dBias} of {@link #layerNorm} from dOut; each null where not wanted (dWeight without a weight). */
    public static Tensor[] layerNormBackward(Tensor x, Tensor weight, Tensor dOut, double eps, boolean wantX, boolean wantWeight, boolean wantBias) {
        NormBackwardDims dims = NormBackwardDims.ofRowNorm("layerNorm", x, weight, dOut, eps, true);
        return normBackward(dims, x, weight, dOut, wantX, wantWeight, wantBias, new int[]{dims.width()});
    }

    /** Gradients {dx, dWeight} of {@link #rmsNorm} from dOut; each null where not wanted (dWeight without a weight). */
    public static Tensor[] rmsNormBackward(Tensor x, Tensor weight, Tensor dOut, double eps, boolean wantX, boolean wantWeight) {
        NormBackwardDims dims = NormBackwardDims.ofRowNorm("rmsNorm", x, weight, dOut, eps, false);
        Tensor[] g = normBackward(dims, x, weight, dOut, wantX, wantWeight, false, new int[]{dims.width()});
        return new Tensor[]{g[0], g[1]};
    }

    /** Gradients {dx, dShift, dScale} of {@link #modulatedLayerNorm} from dOut; each null where not wanted. */
    public static Tensor[] modulatedLayerNormBackward(Tensor x, Tensor scale, Tensor dOut, double eps, boolean wantX, boolean wantShift, boolean wantScale) {
        NormBackwardDims dims = NormBackwardDims.ofModulation(x, scale, dOut, eps);
        Tensor[] g = normBackward(dims, x, scale, dOut, wantX, wantScale, wantShift, scale.shape());
        return new Tensor[]{g[0], g[2], g[1]};
    }

    private static Tensor[] normBackward(NormBackwardDims dims, Tensor x, Tensor weight, Tensor dOut,
                                         boolean wantX, boolean wantWeight, boolean wantBias, int[] paramShape) {
        Tensor dx = wantX ? x.newEmpty(DType.F32, x.shape()) : null;
        Tensor dw = wantWeight && weight != null ? x.newEmpty(DType.F32, paramShape) : null;
        Tensor db = wantBias ? x.newEmpty(DType.F32, paramShape) : null;
        if (dx != null || dw != null || db != null) x.backend().normBackward(dims, x, weight, dOut, dx, dw, db);
        return new Tensor[]{dx, dw, db};
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
