package flux2.autograd;

import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tensor taking part in a differentiable computation: its value, whether it needs a gradient, the
 * operation that produced it (null for leaves) and, for leaves, the accumulated gradient.
 */
public final class Var {
    private Tensor data;
    private final boolean requiresGrad;
    private Node node;
    private Tensor grad;
    private boolean gradCleared;
    private final TensorArena gradArena;

    private Var(Tensor data, boolean requiresGrad, Node node, TensorArena gradArena) {
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.node = node;
        this.gradArena = gradArena;
    }

    /** A leaf that does not need a gradient (inputs, frozen weights). */
    public static Var constant(Tensor t) { return new Var(t, false, null, null); }

    /** A leaf whose gradient accumulates in {@code gradArena} (trainable parameters). */
    public static Var leaf(Tensor t, TensorArena gradArena) { return new Var(t, true, null, gradArena); }

    /** A leaf whose gradient accumulates in the global arena. */
    public static Var leaf(Tensor t) { return leaf(t, TensorArena.global()); }

    /** The result of an operation: recorded if grad mode is on and an input needs a gradient. */
    public static Var result(Tensor t, Node node) {
        boolean rec = GradMode.isEnabled() && Arrays.stream(node.inputs).anyMatch(v -> v != null && v.requiresGrad);
        return rec ? new Var(t, true, node, null) : new Var(t, false, null, null);
    }

    /** The result of an operation that needs a gradient whatever its inputs (trainable weights inside it). */
    static Var recorded(Tensor t, Node node) {
        return GradMode.isEnabled() ? new Var(t, true, node, null) : new Var(t, false, null, null);
    }

    public Tensor data() { return data; }
    public boolean requiresGrad() { return requiresGrad; }
    public boolean isLeaf() { return node == null; }
    public int[] shape() { return data.shape(); }
    public int size(int axis) { return data.size(axis); }
    public int rank() { return data.rank(); }

    /** The gradient accumulated by {@link #backward()} (leaves only), or null. */
    public Tensor grad() { return gradCleared ? null : grad; }

    /** Forgets the gradient; its buffer is kept and reused by the next backward, so steps do not allocate. */
    public void zeroGrad() { gradCleared = true; }

    /** Replaces the gradient (for clipping, accumulation or loading). */
    public void setGrad(Tensor g) {
        grad = g;
        gradCleared = false;
    }

    /** Replaces the value of a leaf in place of an optimizer update. */
    public void setData(Tensor t) {
        if (!isLeaf()) throw new IllegalStateException("only leaves can be reassigned");
        data = t;
    }

    /** The same value, cut off from the graph. */
    public Var detach() { return constant(data); }

    // ---------------------------------------------------------------- differentiable operations

    public Var add(Var o) { return Arithmetic.add(this, o); }
    public Var sub(Var o) { return Arithmetic.sub(this, o); }
    public Var mul(Var o) { return Arithmetic.mul(this, o); }
    public Var div(Var o) { return Arithmetic.div(this, o); }
    public Var add(double c) { return Arithmetic.affine(this, 1, c); }
    public Var sub(double c) { return Arithmetic.affine(this, 1, -c); }
    public Var mul(double c) { return Arithmetic.affine(this, c, 0); }
    public Var div(double c) { return Arithmetic.affine(this, 1 / c, 0); }

    public Var neg() { return Activations.neg(this); }
    public Var exp() { return Activations.exp(this); }
    public Var log() { return Activations.log(this); }
    public Var sqrt() { return Activations.sqrt(this); }
    public Var rsqrt() { return Activations.rsqrt(this); }
    public Var tanh() { return Activations.tanh(this); }
    public Var sigmoid() { return Activations.sigmoid(this); }
    public Var silu() { return Activations.silu(this); }
    public Var gelu() { return Activations.gelu(this); }
    public Var geluTanh() { return Activations.geluTanh(this); }
    public Var square() { return Activations.square(this); }
    public Var abs() { return Activations.abs(this); }
    public Var pow(double p) { return Activations.pow(this, p); }
    public Var clamp(double lo, double hi) { return Activations.clamp(this, lo, hi); }

    public Var sum(int... axes) { return Reductions.sum(this, false, axes); }
    public Var sumKeepDim(int... axes) { return Reductions.sum(this, true, axes); }
    public Var mean(int... axes) { return Reductions.mean(this, false, axes); }
    public Var meanKeepDim(int... axes) { return Reductions.mean(this, true, axes); }
    public Var max(int... axes) { return Reductions.max(this, false, axes); }

    /** Softmax over the last axis. */
    public Var softmax() { return SoftmaxOp.apply(this); }

    /** Matrix product over the last two axes. */
    public Var matmul(Var b) { return MatMul.apply(this, b); }

    public Var reshape(int... shape) { return Views.reshape(this, shape); }
    public Var permute(int... perm) { return Views.permute(this, perm); }
    public Var transpose(int a, int b) {
        int[] p = new int[rank()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        a = flux2.tensor.Shapes.axis(a, p.length);
        b = flux2.tensor.Shapes.axis(b, p.length);
        p[a] = b;
        p[b] = a;
        return permute(p);
    }
    public Var t() { return transpose(-2, -1); }
    public Var expand(int... shape) { return Views.expand(this, shape); }
    public Var narrow(int axis, int start, int length) { return Views.narrow(this, axis, start, length); }
    public Var unsqueeze(int axis) { return reshape(data.unsqueeze(axis).shape()); }
    public Var squeeze(int axis) { return reshape(data.squeeze(axis).shape()); }
    public Var flatten(int start, int end) { return reshape(data.flatten(start, end).shape()); }
    public Var contiguous() { return Views.contiguous(this); }

    /** Backpropagates from this scalar (gradient 1). */
    public void backward() {
        if (data.numel() != 1) throw new IllegalStateException("backward() without a gradient needs a scalar, got " + Arrays.toString(data.shape()));
        backward(data.newEmpty(flux2.tensor.DType.F32, data.shape()).fill(1));
    }

    /**
     * Backpropagates gradOut through the recorded graph, accumulating into the leaves' {@link #grad()}.
     * Each node's saved tensors are dropped as soon as its backward has run.
     */
    public void backward(Tensor gradOut) { backward(new Var[]{this}, new Tensor[]{gradOut}); }

    /**
     * Backpropagates several outputs of one graph at once, each with its own gradient (the backward of
     * sum_i <roots[i], grads[i]>), so that nodes the outputs share run their backward once.
     */
    public static void backward(Var[] roots, Tensor[] grads) {
        if (roots.length != grads.length) throw new IllegalArgumentException(roots.length + " outputs but " + grads.length + " gradients");
        Map<Var, Tensor> pending = new IdentityHashMap<>();
        for (int i = 0; i < roots.length; i++) {
            Var r = roots[i];
            if (!r.requiresGrad) throw new IllegalStateException("backward() on a value that does not require a gradient");
            if (!Arrays.equals(grads[i].shape(), r.data.shape()))
                throw new IllegalArgumentException("gradient shape " + Arrays.toString(grads[i].shape()) + " does not match " + Arrays.toString(r.data.shape()));
            pending.merge(r, grads[i], Tensor::add);
        }
        List<Var> order = topologicalOrder(roots);
        try (GradMode.Scope ng = GradMode.off()) {
            for (Var v : order) {
                Tensor g = pending.remove(v);
                if (g == null) continue;
                if (v.node == null) {
                    v.accumulate(g);
                    continue;
                }
                Node n = v.node;
                Tensor[] gs = n.backward(g);
                for (int i = 0; i < n.inputs.length; i++) {
                    Var in = n.inputs[i];
                    if (in == null || !in.requiresGrad || gs[i] == null) continue;
                    if (!Arrays.equals(gs[i].shape(), in.data.shape()))
                        throw new IllegalStateException(n.name() + " produced gradient " + Arrays.toString(gs[i].shape()) + " for input " + Arrays.toString(in.data.shape()));
                    pending.merge(in, gs[i], Tensor::add);
                }
                n.release();
                n.inputs = null;
                v.node = null;
            }
        }
    }

    private void accumulate(Tensor g) {
        if (grad == null || !java.util.Arrays.equals(grad.shape(), g.shape())) {
            grad = g.copyTo(gradArena != null ? gradArena : TensorArena.global());
        } else if (gradCleared) {
            grad.copyFrom(g);
        } else {
            grad.copyFrom(grad.add(g));
        }
        gradCleared = false;
    }

    /** Nodes reachable from the roots, outputs before inputs. */
    private static List<Var> topologicalOrder(Var... roots) {
        List<Var> post = new ArrayList<>();
        Map<Var, Boolean> seen = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        for (Var root : roots) {
            if (seen.put(root, true) != null) continue;
            stack.push(new Object[]{root, 0});
            walk(stack, seen, post);
        }
        java.util.Collections.reverse(post);
        return post;
    }

    /** Depth-first post-order from the node on the stack, skipping nodes already seen. */
    private static void walk(Deque<Object[]> stack, Map<Var, Boolean> seen, List<Var> post) {
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Var v = (Var) top[0];
            int i = (Integer) top[1];
            Var[] ins = v.node == null ? new Var[0] : v.node.inputs;
            if (i < ins.length) {
                top[1] = i + 1;
                Var in = ins[i];
                if (in != null && in.requiresGrad && seen.put(in, true) == null) stack.push(new Object[]{in, 0});
            } else {
                stack.pop();
                post.add(v);
            }
        }
    }

    @Override
    public String toString() {
        return "Var[" + data + (requiresGrad ? ", requires grad" : "") + (node != null ? ", from " + node.name() : "") + "]";
    }
}
