package flux2.model.flux2;

import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.RMSNorm;
import flux2.tensor.TensorArena;

/** RMSNorm of queries and keys over the head dim (weights named {@code scale}, eps 1e-6). */
public final class QkNorm extends Module {
    public final RMSNorm queryNorm, keyNorm;

    public QkNorm(int headDim, TensorArena arena) {
        queryNorm = child("query_norm", new RMSNorm(headDim, 1e-6, "scale", arena));
        keyNorm = child("key_norm", new RMSNorm(headDim, 1e-6, "scale", arena));
    }

    public Var q(Var q) { return queryNorm.forward(q); }

    public Var k(Var k) { return keyNorm.forward(k); }
}
