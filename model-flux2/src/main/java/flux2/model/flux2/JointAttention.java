package flux2.model.flux2;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.AttentionSpec;

/** Attention as FLUX.2 runs it: heads from a fused qkv, QK RMSNorm, RoPE, full softmax attention without a mask. */
public final class JointAttention {
    private JointAttention() {}

    /** q, k, v [B, H, L, headDim] from a fused projection [B, L, 3D] laid out [q | k | v], each head-major. */
    public static Var[] heads(Var qkv, int heads) {
        int b = qkv.size(0), l = qkv.size(1), d = qkv.size(2) / 3;
        Var[] parts = F.split(qkv, 2, d, d, d);
        Var[] out = new Var[3];
        for (int i = 0; i < 3; i++) out[i] = parts[i].reshape(b, l, heads, d / heads).transpose(1, 2);
        return out;
    }

    /** Normalised, rotated q and k (in that order: RMSNorm, then RoPE) and v made contiguous. */
    public static Var[] prepare(Var qkv, int heads, QkNorm norm, Rope pe) {
        Var[] h = heads(qkv, heads);
        return new Var[]{pe.apply(norm.q(h[0])), pe.apply(norm.k(h[1])), h[2].contiguous()};
    }

    /** Attention over q, k, v [B, H, L, Dh], scale 1/sqrt(Dh), heads merged back to [B, L, H * Dh]. */
    public static Var attend(Var q, Var k, Var v) {
        int b = q.size(0), h = q.size(1), l = q.size(2), dh = q.size(3);
        Var o = F.attention(AttentionSpec.of(dh), q, k, v, null);
        return o.transpose(1, 2).reshape(b, l, h * dh);
    }
}
