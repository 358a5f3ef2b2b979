package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Arrays;

/** Sizes of one conv2d call, checked against the operands: input, kernel, stride, padding and output. */
record ConvGeometry(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw,
                    int padTop, int padLeft, int ho, int wo) {

    /** Reduction length of the GEMM: cin * kh * kw. */
    int k() { return cin * kh * kw; }

    /** Output pixels per (image, channel) plane. */
    int pixels() { return ho * wo; }

    /** Checks shapes and dtypes of a conv2d call; every failure names the shapes involved. */
    static ConvGeometry of(Tensor x, Tensor wt, Tensor bias, int[] stride, int[] padding, Tensor out) {
        String call = "conv2d(x " + Arrays.toString(x.shape()) + ", w " + Arrays.toString(wt.shape())
                + ", stride " + Arrays.toString(stride) + ", padding " + Arrays.toString(padding)
                + ", out " + Arrays.toString(out.shape()) + ")";
        if (x.rank() != 4) throw new IllegalArgumentException(call + ": x must be [N, Cin, H, W]");
        if (wt.rank() != 4) throw new IllegalArgumentException(call + ": w must be [Cout, Cin, kh, kw]");
        if (out.rank() != 4) throw new IllegalArgumentException(call + ": out must be [N, Cout, Ho, Wo]");
        if (stride == null || stride.length != 2 || stride[0] < 1 || stride[1] < 1)
            throw new IllegalArgumentException(call + ": stride must be two positive values (sh, sw)");
        if (padding == null || padding.length != 4 || Arrays.stream(padding).anyMatch(p -> p < 0))
            throw new IllegalArgumentException(call + ": padding must be four non-negative values (top, bottom, left, right)");
        if (!x.dtype().isFloating()) throw new IllegalArgumentException(call + ": x must be floating point, got " + x.dtype());
        if (wt.dtype() != DType.F32 && wt.dtype() != DType.BF16 && wt.dtype() != DType.F16)
            throw new IllegalArgumentException(call + ": w must be F32, BF16 or F16, got " + wt.dtype());
        if (out.dtype() != DType.F32) throw new IllegalArgumentException(call + ": out must be F32, got " + out.dtype());
        int n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
        int cout = wt.size(0), kh = wt.size(2), kw = wt.size(3);
        if (wt.size(1) != cin) throw new IllegalArgumentException(call + ": x has " + cin + " channels, w expects " + wt.size(1));
        if (kh < 1 || kw < 1) throw new IllegalArgumentException(call + ": empty kernel");
        if (bias != null && (bias.rank() != 1 || bias.size(0) != cout || !bias.dtype().isFloating()))
            throw new IllegalArgumentException(call + ": bias must be a floating [" + cout + "], got " + bias);
        long spanH = (long) h + padding[0] + padding[1] - kh, spanW = (long) w + padding[2] + padding[3] - kw;
        if (spanH < 0 || spanW < 0)
            throw new IllegalArgumentException(call + ": the padded input is smaller than the kernel");
        int ho = (int) (spanH / stride[0] + 1), wo = (int) (spanW / stride[1] + 1);
        int[] expect = {n, cout, ho, wo};
        if (!Arrays.equals(out.shape(), expect))
            throw new IllegalArgumentException(call + ": out must have shape " + Arrays.toString(expect));
        return new ConvGeometry(n, cin, h, w, cout, kh, kw, stride[0], stride[1], padding[0], padding[2], ho, wo);
    }
}
