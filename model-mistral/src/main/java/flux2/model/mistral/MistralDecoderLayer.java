package flux2.model.mistral;

import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.tensor.Tensor;

/** One pre-norm decoder layer: h = x + attn(norm(x)); out = h + mlp(norm(h)). */
final class MistralDecoderLayer extends Module {
    private final Norm inputNorm, postAttentionNorm;
    private final MistralAttention attn;
    private final MistralMlp mlp;

    MistralDecoderLayer(Weights w, String prefix, MistralConfig c) {
        inputNorm = child("input_layernorm", new Norm(w.get(prefix + "input_layernorm.weight"), c.rmsNormEps()));
        attn = child("self_attn", new MistralAttention(w, prefix + "self_attn.", c));
        postAttentionNorm = child("post_attention_layernorm", new Norm(w.get(prefix + "post_attention_layernorm.weight"), c.rmsNormEps()));
        mlp = child("mlp", new MistralMlp(w, prefix + "mlp."));
    }

    Var forward(Var x, Tensor cos, Tensor sin, Tensor keyMask) {
        Var h = x.add(attn.forward(inputNorm.forward(x), cos, sin, keyMask));
        return h.add(mlp.forward(postAttentionNorm.forward(h)));
    }

    /**
     * The same layer for a row whose query sees no key: attention gives zero and o_proj has no bias, so only the
     * MLP branch remains.
     */
    Var forwardUnattended(Var x) { return x.add(mlp.forward(postAttentionNorm.forward(x))); }
}
