package flux2.model.vae;

import flux2.tensor.AttentionSpec;
import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * x + proj_out(attention(q, k, v)) over the H*W positions of GroupNorm(x): one head as wide as the block,
 * scale 1/sqrt(C), through the fused kernel (no H*W x H*W matrix).
 */
final class AttnBlock {
    private final Norm norm;
    private final Tensor wq, bq, wk, bk, wv, bv, wo, bo;

    AttnBlock(VaeWeights w, String name) {
        norm = Norm.of(w, name + ".norm");
        wq = matrix(w, name + ".q");
        bq = w.get(name + ".q.bias");
        wk = matrix(w, name + ".k");
        bk = w.get(name + ".k.bias");
        wv = matrix(w, name + ".v");
        bv = w.get(name + ".v.bias");
        wo = matrix(w, name + ".proj_out");
        bo = w.get(name + ".proj_out.bias");
    }

    /** A 1x1 convolution weight [C, C, 1, 1] as a matrix [C, C]. */
    private static Tensor matrix(VaeWeights w, String name) {
        Tensor t = w.get(name + ".weight");
        return t.reshape(t.size(0), t.size(1));
    }

    /** The block's output in the current arena; its temporaries are freed before it returns. */
    Tensor forward(Tensor x) {
        int n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
        Tensor out = Tensor.zeros(DType.F32, x.shape());
        try (var tmp = TensorArena.open("vae-attention")) {
            Tensor tokens = norm.apply(x).reshape(n, c, h * wd).transpose(1, 2).contiguous(); // [N, L, C]
            Tensor q = linear(tokens, wq, bq), k = linear(tokens, wk, bk), v = linear(tokens, wv, bv);
            Tensor attn = NN.attention(AttentionSpec.of(c), q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1), null).out();
            Tensor proj = linear(attn.reshape(n, h * wd, c), wo, bo);                          // [N, L, C]
            out.copyFrom(x.add(proj.transpose(1, 2).reshape(n, c, h, wd)));
        }
        return out;
    }

    private static Tensor linear(Tensor x, Tensor w, Tensor b) { return x.matmul(w.t()).add(b); }
}
