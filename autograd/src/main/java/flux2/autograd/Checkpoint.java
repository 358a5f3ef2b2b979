package flux2.autograd;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.Function;

/**
 * Gradient checkpointing: the wrapped computation (a transformer block) runs its forward in a scratch arena
 * that is closed as soon as the output is copied out, and runs again in the backward to get its gradients.
 * The computation must be deterministic (no random draws), so the recomputation matches the forward exactly.
 */
public final class Checkpoint extends Node {
    private final Function<Var[], Var> fn;

    private Checkpoint(Function<Var[], Var> fn, Var[] inputs) {
        super(inputs);
        this.fn = fn;
    }

    /** fn(inputs) with its intermediate activations freed after the forward and recomputed in the backward. */
    public static Var apply(Function<Var[], Var> fn, Var... inputs) {
        TensorArena outer = TensorArena.current();
        Tensor out;
        boolean needsGrad;
        try (TensorArena scratch = TensorArena.open("checkpoint")) {
            Var y = fn.apply(inputs);
            needsGrad = y.requiresGrad();
            out = y.data().copyTo(outer);
        }
        Checkpoint node = new Checkpoint(fn, inputs);
        return needsGrad ? Var.recorded(out, node) : Var.constant(out);
    }

    @Override
    protected Tensor[] backward(Tensor g) {
        TensorArena outer = TensorArena.current();
        Tensor[] grads = new Tensor[inputs.length];
        try (TensorArena scratch = TensorArena.open("checkpoint-recompute");
             GradMode.Scope on = GradMode.on()) {
            Var[] leaves = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++)
                leaves[i] = needs(i) ? Var.leaf(inputs[i].data(), scratch) : Var.constant(inputs[i].data());
            Var y = fn.apply(leaves);
            if (y.requiresGrad()) y.backward(g);
            for (int i = 0; i < inputs.length; i++)
                if (needs(i) && leaves[i].grad() != null) grads[i] = leaves[i].grad().copyTo(outer);
        }
        return grads;
    }
}
