package flux2.model.mistral;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.tensor.AttentionSpec;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;

/**
 * Grouped-query self-attention with rotate-half RoPE, a causal mask and a key padding mask. Query rows that see
 * no key (left padding) come out as zeros, as PyTorch's SDPA gives them.
 */
final class MistralAttention extends Module {
    private final Projection q, k, v, o;
    private final int heads, kvHeads, headDim;

    MistralAttention(Weights w, String prefix, MistralConfig c) {
        q = child("q_proj", new Projection(w.get(prefix + "q_proj.weight")));
        k = child("k_proj", new Projection(w.get(prefix + "k_proj.weight")));
        v = child("v_proj", new Projection(w.get(prefix + "v_proj.weight")));
        o = child("o_proj", new Projection(w.get(prefix + "o_proj.weight")));
        heads = c.numHeads();
        kvHeads = c.numKvHeads();
        headDim = c.headDim();
    }

    /** x [B, L, hidden], cos/sin [L, headDim/2], keyMask [B, L] U8 -> [B, L, hidden]. */
    Var forward(Var x, Tensor cos, Tensor sin, Tensor keyMask) {
        int b = x.size(0), l = x.size(1);
        Var qh = F.rope(RopeLayout.ROTATE_HALF, heads(q.forward(x), b, l, heads), cos, sin);     // [B, H, L, D]
        Var kh = F.rope(RopeLayout.ROTATE_HALF, heads(k.forward(x), b, l, kvHeads), cos, sin);   // [B, Hkv, L, D]
        Var vh = heads(v.forward(x), b, l, kvHeads);
        Var att = F.attention(AttentionSpec.of(headDim).withCausal(true), qh, kh, vh, keyMask);
        return o.forward(att.transpose(1, 2).reshape(b, l, heads * headDim));
    }

    private Var heads(Var t, int b, int l, int n) { return t.reshape(b, l, n, headDim).transpose(1, 2); }
}
