package flux2.tensor.ops;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes of one conv2d call or of one of its gradients: x [n, cin, h, w], weight [cout, cin, kh, kw],
 * stride (sh, sw), zero padding (padTop, padLeft; bottom and right follow from ho and wo), out [n, cout, ho, wo].
 * Built by {@link #forward}, {@link #backwardInput} or {@link #backwardWeight} and passed to the conv2d methods
 * of {@link flux2.tensor.Backend}.
 */
public record ConvGeometry(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw,
                           int padTop, int padLeft, int ho, int wo) {

    /** The forward call: x floating point, w F32, BF16 or F16, bias a floating [cout] or null. */
    public static ConvGeometry forward(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding) {
        String call = "conv2d(x " + shape(x) + ", w " + shape(w) + ", stride " + Arrays.toString(stride)
                + ", padding " + Arrays.toString(padding) + ")";
        if (!x.dtype().isFloating()) throw new IllegalArgumentException(call + ": x must be floating point, got " + x.dtype());
        ConvGeometry g = of(call, x.shape(), w.shape(), w.dtype(), stride, padding);
        if (bias != null && (bias.rank() != 1 || bias.size(0) != g.cout || !bias.dtype().isFloating()))
            throw new IllegalArgumentException(call + ": bias must be a floating [" + g.cout + "], got " + bias);
        return g;
    }

    /** The input gradient: dx of shape {@code inputShape} [n, cin, h, w] from dOut and w (F32, BF16 or F16). */
    public static ConvGeometry backwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, int[] inputShape) {
        String call = "conv2dBackwardInput(dx " + Arrays.toString(inputShape) + ", w " + shape(w) + ", stride "
                + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + ", dOut " + shape(dOut) + ")";
        return of(call, inputShape, w.shape(), w.dtype(), stride, padding).withOutputGradient(call, dOut);
    }

    /** The weight gradient: dw of shape {@code weightShape} [cout, cin, kh, kw] from x (floating) and dOut. */
    public static ConvGeometry backwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, int[] weightShape) {
        String call = "conv2dBackwardWeight(x " + shape(x) + ", dw " + Arrays.toString(weightShape) + ", stride "
                + Arrays.toString(stride) + ", padding " + Arrays.toString(padding) + ", dOut " + shape(dOut) + ")";
        if (!x.dtype().isFloating()) throw new IllegalArgumentException(call + ": x must be floating point, got " + x.dtype());
        return of(call, x.shape(), weightShape, DType.F32, stride, padding).withOutputGradient(call, dOut);
    }

    private static ConvGeometry of(String call, int[] x, int[] wt, DType wType, int[] stride, int[] padding) {
        if (x.length != 4) throw new IllegalArgumentException(call + ": x must be [N, Cin, H, W]");
        if (wt.length != 4) throw new IllegalArgumentException(call + ": w must be [Cout, Cin, kh, kw]");
        if (stride == null || stride.length != 2 || stride[0] < 1 || stride[1] < 1)
            throw new IllegalArgumentException(call + ": stride must be two positive values (sh, sw)");
        if (padding == null || padding.length != 4 || Arrays.stream(padding).anyMatch(p -> p < 0))
            throw new IllegalArgumentException(call + ": padding must be four non-negative values (top, bottom, left, right)");
        if (wType != DType.F32 && wType != DType.BF16 && wType != DType.F16)
            throw new IllegalArgumentException(call + ": w must be F32, BF16 or F16, got " + wType);
        int n = x[0], cin = x[1], h = x[2], w = x[3];
        int cout = wt[0], kh = wt[2], kw = wt[3];
        if (wt[1] != cin) throw new IllegalArgumentException(call + ": x has " + cin + " channels, w expects " + wt[1]);
        if (kh < 1 || kw < 1) throw new IllegalArgumentException(call + ": empty kernel");
        // Integer division truncates toward zero, so a padded input smaller than the kernel is caught first.
        long spanH = (long) h + padding[0] + padding[1] - kh, spanW = (long) w + padding[2] + padding[3] - kw;
        if (spanH < 0 || spanW < 0)
            throw new IllegalArgumentException(call + ": the padded input " + h + "x" + w + " is smaller than the kernel " + kh + "x" + kw);
        int ho = (int) (spanH / stride[0] + 1), wo = (int) (spanW / stride[1] + 1);
        return new ConvGeometry(n, cin, h, w, cout, kh, kw, stride[0], stride[1], padding[0], padding[2], ho, wo);
    }

    private ConvGeometry withOutputGradient(String call, Tensor dOut) {
        if (!dOut.dtype().isFloating()) throw new IllegalArgumentException(call + ": dOut must be floating point, got " + dOut.dtype());
        if (!Arrays.equals(dOut.shape(), outputShape()))
            throw new IllegalArgumentException(call + ": dOut must have shape " + Arrays.toString(outputShape()));
        return this;
    }

    /** For a caller that brings its own out: checks that it is an F32 tensor of {@link #outputShape}. */
    public ConvGeometry checkOutput(Tensor out) { return require("out", out, outputShape()); }

    /** For a caller that brings its own dx: checks that it is an F32 tensor of {@link #inputShape}. */
    public ConvGeometry checkInputGradient(Tensor dx) { return require("dx", dx, inputShape()); }

    /** For a caller that brings its own dw: checks that it is an F32 tensor of {@link #weightShape}. */
    public ConvGeometry checkWeightGradient(Tensor dw) { return require("dw", dw, weightShape()); }

    private ConvGeometry require(String name, Tensor t, int[] shape) {
        if (t.dtype() != DType.F32) throw new IllegalArgumentException("conv2d: " + name + " must be F32, got " + t.dtype());
        if (!Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException("conv2d: " + name + " must have shape " + Arrays.toString(shape) + ", got " + shape(t));
        return this;
    }

    private static String shape(Tensor t) { return Arrays.toString(t.shape()); }

    /** [n, cin, h, w]. */
    public int[] inputShape() { return new int[]{n, cin, h, w}; }

    /** [cout, cin, kh, kw]. */
    public int[] weightShape() { return new int[]{cout, cin, kh, kw}; }

    /** [n, cout, ho, wo]. */
    public int[] outputShape() { return new int[]{n, cout, ho, wo}; }

    /** Reduction length of the GEMM: cin * kh * kw. */
    public int k() { return cin * kh * kw; }

    /** Output pixels per (image, channel) plane. */
    public int pixels() { return ho * wo; }
}
