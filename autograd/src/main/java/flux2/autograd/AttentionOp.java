package flux2.autograd;

import flux2.tensor.AttentionSpec;
import flux2.tensor.NN;
import flux2.tensor.Tensor;

/** Fused attention; the backward kernel recomputes the scores from q, k and the saved log-sum-exp. */
final class AttentionOp extends Node {
    private final AttentionSpec spec;
    private Tensor keyMask;
    private NN.AttentionResult saved;

    private AttentionOp(AttentionSpec spec, Var q, Var k, Var v, Tensor keyMask, NN.AttentionResult saved) {
        super(q, k, v);
        this.spec = spec;
        this.keyMask = keyMask;
        this.saved = saved;
    }

    static Var apply(AttentionSpec spec, Var q, Var k, Var v, Tensor keyMask) {
        NN.AttentionResult r = NN.attention(spec, q.data(), k.data(), v.data(), keyMask);
        return Var.result(r.out(), new AttentionOp(spec, q, k, v, keyMask, r));
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        Tensor[] d = NN.attentionBackward(spec, inputs[0].data(), inputs[1].data(), inputs[2].data(), keyMask, saved, g);
        return new Tensor[]{needs(0) ? d[0] : null, needs(1) ? d[1] : null, needs(2) ? d[2] : null};
    }

    @Override protected void release() {
        saved = null;
        keyMask = null;
    }
}
