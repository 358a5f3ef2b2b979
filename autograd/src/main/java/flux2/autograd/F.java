package flux2.autograd;

import flux2.tensor.AttentionSpec;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;

/** Differentiable functions that take several inputs: norms, rotary embedding, attention, convolution, losses. */
public final class F {
    private F() {}

    public static Var layerNorm(Var x, Var weight, Var bias, double eps) { return NormOps.layerNorm(x, weight, bias, eps); }

    public static Var rmsNorm(Var x, Var weight, double eps) { return NormOps.rmsNorm(x, weight, eps); }

    public static Var groupNorm(Var x, int groups, Var weight, Var bias, double eps) { return NormOps.groupNorm(x, groups, weight, bias, eps); }

    /** Rotary embedding of x [..., L, D] with constant cos/sin [..., L, D/2]. */
    public static Var rope(RopeLayout layout, Var x, Tensor cos, Tensor sin) { return RopeOp.apply(layout, x, cos, sin); }

    /** Fused attention, q [B, H, Lq, D], k and v [B, Hkv, Lk, D], optional key mask [B, Lk]. */
    public static Var attention(AttentionSpec spec, Var q, Var k, Var v, Tensor keyMask) { return AttentionOp.apply(spec, q, k, v, keyMask); }

    /** 2-D convolution of x [N, Cin, H, W] by w [Cout, Cin, kh, kw], bias [Cout] or null; padding (top, bottom, left, right). */
    public static Var conv2d(Var x, Var w, Var bias, int[] stride, int[] padding) { return Conv2dOp.apply(x, w, bias, stride, padding); }

    /** Mean of the squared differences over all elements. */
    public static Var mseLoss(Var pred, Var target) { return MseLoss.apply(pred, target); }
}
