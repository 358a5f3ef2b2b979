package flux2.tensor;

/** Neural-network kernels with allocation: norms, rotary embeddings, fused attention, convolution. */
public final class NN {
    private NN() {}

    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().layerNorm(x, weight, bias, eps, out);
        return out;
    }

    public static Tensor rmsNorm(Tensor x, Tensor weight, double eps) {
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().rmsNorm(x, weight, eps, out);
        return out;
    }

    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().groupNorm(x, groups, weight, bias, eps, out);
        return out;
    }

    public static Tensor rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin) {
        Tensor out = x.newEmpty(DType.F32, x.shape());
        x.backend().rope(layout, x, cos, sin, out);
        return out;
    }

    /** Output and log-sum-exp of fused attention (see {@link Backend#attention}). */
    public record AttentionResult(Tensor out, Tensor lse) {}

    public static AttentionResult attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask) {
        int b = q.size(0), h = q.size(1), lq = q.size(2), d = v.size(3);
        Tensor out = q.newEmpty(DType.F32, b, h, lq, d);
        Tensor lse = q.newEmpty(DType.F32, b, h, lq);
        q.backend().attention(spec, q, k, v, keyMask, out, lse);
        return new AttentionResult(out, lse);
    }

    /** Gradients (dq, dk, dv) of fused attention. */
    public static Tensor[] attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask,
                                             AttentionResult fwd, Tensor dOut) {
        Tensor dq = q.newEmpty(DType.F32, q.shape());
        Tensor dk = q.newEmpty(DType.F32, k.shape());
        Tensor dv = q.newEmpty(DType.F32, v.shape());
        q.backend().attentionBackward(spec, q, k, v, keyMask, fwd.out(), fwd.lse(), dOut, dq, dk, dv);
        return new Tensor[]{dq, dk, dv};
    }

    /** conv2d with symmetric padding p on all sides. */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return conv2d(x, w, bias, new int[]{stride, stride}, new int[]{padding, padding, padding, padding});
    }

    /** conv2d with stride (sh, sw) and padding (top, bottom, left, right). */
    public static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        if (x.rank() != 4 || w.rank() != 4)
            throw new IllegalArgumentException("conv2d: x must be [N, Cin, H, W] and w [Cout, Cin, kh, kw], got x "
                    + Shapes.toString(x.shape()) + " and w " + Shapes.toString(w.shape()));
        if (stride.length != 2 || stride[0] < 1 || stride[1] < 1 || padding.length != 4)
            throw new IllegalArgumentException("conv2d: stride must be two positive values and padding four, got "
                    + java.util.Arrays.toString(stride) + " and " + java.util.Arrays.toString(padding));
        int n = x.size(0), h = x.size(2), wd = x.size(3);
        int co = w.size(0), kh = w.size(2), kw = w.size(3);
        if (w.size(1) != x.size(1))
            throw new IllegalArgumentException("conv2d: input has " + x.size(1) + " channels, weight expects " + w.size(1));
        // Integer division truncates toward zero, so a padded input smaller than the kernel is caught first.
        long spanH = (long) h + padding[0] + padding[1] - kh, spanW = (long) wd + padding[2] + padding[3] - kw;
        if (spanH < 0 || spanW < 0)
            throw new IllegalArgumentException("conv2d: the padded input " + h + "x" + wd + " with padding "
                    + java.util.Arrays.toString(padding) + " is smaller than the kernel " + kh + "x" + kw);
        int ho = (int) (spanH / stride[0] + 1);
        int wo = (int) (spanW / stride[1] + 1);
        Tensor out = x.newEmpty(DType.F32, n, co, ho, wo);
        x.backend().conv2d(x, w, bias, stride, padding, out);
        return out;
    }

    /** Gradient of conv2d wrt its input, of shape {@code inputShape} [N, Cin, H, W], F32. */
    public static Tensor conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, int[] inputShape) {
        Tensor dx = dOut.newEmpty(DType.F32, inputShape);
        dOut.backend().conv2dBackwardInput(dOut, w, stride, padding, dx);
        return dx;
    }

    /** Gradient of conv2d wrt its weight, of shape {@code weightShape} [Cout, Cin, kh, kw], F32. */
    public static Tensor conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, int[] weightShape) {
        Tensor dw = x.newEmpty(DType.F32, weightShape);
        x.backend().conv2dBackwardWeight(x, dOut, stride, padding, dw);
        return dw;
    }
}
