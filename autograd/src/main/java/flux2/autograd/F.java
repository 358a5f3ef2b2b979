package flux2.autograd;

import flux2.tensor.AttentionSpec;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;

/** Differentiable functions that take several inputs: norms, rotary embedding, attention, convolution, losses. */
public final class F {
    private F() {}

    public static Var layerNorm(Var x, Var weight, Var bias, double eps) { return NormOps.layerNorm(x, weight, bias, eps); }

    /** FLUX.2's adaptive LayerNorm, (1 + scale) * LayerNorm(x) + shift, for x [..., L, D] and shift, scale [..., 1, D], in one kernel. */
    public static Var modulatedLayerNorm(Var x, Var shift, Var scale, double eps) { return NormOps.modulatedLayerNorm(x, shift, scale, eps); }

    public static Var rmsNorm(Var x, Var weight, double eps) { return NormOps.rmsNorm(x, weight, eps); }

    public static Var groupNorm(Var x, int groups, Var weight, Var bias, double eps) { return NormOps.groupNorm(x, groups, weight, bias, eps); }

    /** Rotary embedding of x [..., L, D] with constant cos/sin [..., L, D/2]. */
    public static Var rope(RopeLayout layout, Var x, Tensor cos, Tensor sin) { return RopeOp.apply(layout, x, cos, sin); }

    /** Fused attention, q [B, H, Lq, D], k and v [B, Hkv, Lk, D], optional key mask [B, Lk]. */
    public static Var attention(AttentionSpec spec, Var q, Var k, Var v, Tensor keyMask) { return AttentionOp.apply(spec, q, k, v, keyMask); }

    /** Concatenation along axis. */
    public static Var concat(int axis, Var... xs) { return LayoutOps.concat(axis, xs); }

    /** Splits along axis into pieces of the given sizes (views). */
    public static Var[] split(Var x, int axis, int... sizes) {
        Var[] out = new Var[sizes.length];
        int start = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = x.narrow(axis, start, sizes[i]);
            start += sizes[i];
        }
        if (start != x.size(axis)) throw new IllegalArgumentException("split sizes add up to " + start + ", axis has " + x.size(axis));
        return out;
    }

    /** Constant padding in torch.nn.functional.pad order (last axis first; negative values crop). */
    public static Var pad(Var x, double value, int... padding) { return LayoutOps.pad(x, value, padding); }

    /** Nearest-neighbour upsampling of [N, C, H, W] by an integer factor. */
    public static Var upsampleNearest(Var x, int factor) { return LayoutOps.upsampleNearest(x, factor); }

    /** [N, C, H, W] to [N, C r r, H/r, W/r], channel order (c, i, j) as torch.nn.functional.pixel_unshuffle. */
    public static Var pixelUnshuffle(Var x, int r) { return LayoutOps.pixelUnshuffle(x, r); }

    /** The inverse of {@link #pixelUnshuffle}. */
    public static Var pixelShuffle(Var x, int r) { return LayoutOps.pixelShuffle(x, r); }

    /** Rows of x along dim picked by an I64/I32 index (embedding lookup when dim = 0). */
    public static Var indexSelect(Var x, int dim, Tensor index) { return LayoutOps.indexSelect(x, dim, index); }

    /** 2-D convolution of x [N, Cin, H, W] by w [Cout, Cin, kh, kw], bias [Cout] or null; padding (top, bottom, left, right). */
    public static Var conv2d(Var x, Var w, Var bias, int[] stride, int[] padding) { return Conv2dOp.apply(x, w, bias, stride, padding); }

    /** Mean of the squared differences over all elements. */
    public static Var mseLoss(Var pred, Var target) { return MseLoss.apply(pred, target); }
}
