package flux2.autograd;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Arrays;
import java.util.function.Function;

/**
 * Gradient checkpointing: the wrapped computation (a transformer block) runs its forward in a scratch arena
 * that is closed as soon as its outputs are copied out, and runs again in the backward to get its gradients.
 * The computation must be deterministic (no random draws), so the recomputation matches the forward exactly.
 * It may have several outputs (a double-stream block returns image and text): they are copied side by side
 * into one buffer that is this node's output, the returned outputs are views of it, and one recomputation
 * backpropagates all of them together.
 */
public final class Checkpoint extends Node {
    private final Function<Var[], Var[]> fn;
    private final int[][] shapes;

    private Checkpoint(Function<Var[], Var[]> fn, int[][] shapes, Var[] inputs) {
        super(inputs);
        this.fn = fn;
        this.shapes = shapes;
    }

    /** fn(inputs) with its intermediate activations freed after the forward and recomputed in the backward. */
    public static Var apply(Function<Var[], Var> fn, Var... inputs) {
        return applyAll(in -> new Var[]{fn.apply(in)}, inputs)[0];
    }

    /**
     * The outputs of fn(inputs) (same dtype and device), its intermediate activations freed after the forward
     * and recomputed once in the backward for all outputs.
     */
    public static Var[] applyAll(Function<Var[], Var[]> fn, Var... inputs) {
        TensorArena outer = TensorArena.current();
        Tensor out;
        int[][] shapes;
        boolean needsGrad = false;
        try (TensorArena scratch = TensorArena.open("checkpoint")) {
            Var[] ys = fn.apply(inputs);
            shapes = new int[ys.length][];
            for (int i = 0; i < ys.length; i++) {
                shapes[i] = ys[i].shape();
                needsGrad |= ys[i].requiresGrad();
            }
            out = ys.length == 1 ? ys[0].data().copyTo(outer) : bundle(ys, outer);
        }
        Checkpoint node = new Checkpoint(fn, shapes, inputs);
        Var all = needsGrad ? Var.recorded(out, node) : Var.constant(out);
        if (shapes.length == 1) return new Var[]{all};
        Var[] parts = new Var[shapes.length];
        long offset = 0;
        for (int i = 0; i < parts.length; i++) {
            int n = numel(shapes[i]);
            parts[i] = all.narrow(0, (int) offset, n).reshape(shapes[i]);
            offset += n;
        }
        return parts;
    }

    /** The outputs flattened one after another into a new 1-D tensor in {@code arena}. */
    private static Tensor bundle(Var[] ys, TensorArena arena) {
        Tensor first = ys[0].data();
        long total = 0;
        for (Var y : ys) {
            if (y.data().dtype() != first.dtype() || y.data().backend() != first.backend())
                throw new IllegalArgumentException("checkpointed outputs must share dtype and device, got " + first.dtype() + " on "
                        + first.backend().name() + " and " + y.data().dtype() + " on " + y.data().backend().name());
            total += y.data().numel();
        }
        Tensor out = Tensor.allocate(first.backend(), first.dtype(), new int[]{Math.toIntExact(total)}, arena);
        long offset = 0;
        for (Var y : ys) {
            int n = (int) y.data().numel();
            out.narrow(0, (int) offset, n).reshape(y.shape()).copyFrom(y.data());
            offset += n;
        }
        return out;
    }

    private static int numel(int[] shape) { return Math.toIntExact(Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b)); }

    @Override
    protected Tensor[] backward(Tensor g) {
        TensorArena outer = TensorArena.current();
        Tensor[] grads = new Tensor[inputs.length];
        try (TensorArena scratch = TensorArena.open("checkpoint-recompute");
             GradMode.Scope on = GradMode.on()) {
            Var[] leaves = new Var[inputs.length];
            for (int i = 0; i < inputs.length; i++)
                leaves[i] = needs(i) ? Var.leaf(inputs[i].data(), scratch) : Var.constant(inputs[i].data());
            Var[] ys = fn.apply(leaves);
            int recorded = 0;
            for (Var y : ys) if (y.requiresGrad()) recorded++;
            Var[] roots = new Var[recorded];
            Tensor[] gs = new Tensor[recorded];
            long offset = 0;
            for (int i = 0, r = 0; i < ys.length; i++) {
                int n = numel(shapes[i]);
                if (ys[i].requiresGrad()) {
                    roots[r] = ys[i];
                    gs[r++] = ys.length == 1 ? g : g.narrow(0, (int) offset, n).reshape(shapes[i]);
                }
                offset += n;
            }
            if (recorded > 0) Var.backward(roots, gs);
            for (int i = 0; i < inputs.length; i++)
                if (needs(i) && leaves[i].grad() != null) grads[i] = leaves[i].grad().copyTo(outer);
        }
        return grads;
    }
}
