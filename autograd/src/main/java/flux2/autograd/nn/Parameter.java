package flux2.autograd.nn;

import flux2.autograd.Var;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * A named weight of a module. Trainable parameters are autograd leaves whose gradient accumulates in the
 * parameter's arena; frozen ones are constants, so no gradient buffer ever exists for them.
 */
public final class Parameter {
    private Tensor value;
    private boolean trainable;
    private Var var;
    private final TensorArena arena;

    public Parameter(Tensor value, boolean trainable, TensorArena arena) {
        this.value = value;
        this.arena = arena;
        setTrainable(trainable);
    }

    public Tensor value() { return value; }

    public boolean trainable() { return trainable; }

    /** The autograd view of this parameter (the same leaf across a step, so gradients accumulate). */
    public Var var() { return var; }

    /** Gradient accumulated by the last backward, or null. */
    public Tensor grad() { return var.grad(); }

    public void zeroGrad() { var.zeroGrad(); }

    public void setTrainable(boolean t) {
        trainable = t;
        var = t ? Var.leaf(value, arena) : Var.constant(value);
    }

    /** Replaces the value (same shape), e.g. when loading a checkpoint; keeps any gradient. */
    public void set(Tensor v) {
        Tensor g = var.grad();
        value = v;
        var = trainable ? Var.leaf(v, arena) : Var.constant(v);
        if (g != null && trainable) var.setGrad(g);
    }

    public TensorArena arena() { return arena; }
}
