package flux2.autograd.nn;

import flux2.autograd.Var;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.Arrays;

/**
 * A named weight of a module. Trainable parameters are autograd leaves whose gradient accumulates in the
 * parameter's arena; frozen ones are constants, so no gradient buffer ever exists for them. A parameter
 * declared by shape gets memory only when first read, so weights that a loader replaces by views of a
 * mapped checkpoint are never allocated.
 */
public final class Parameter {
    private final DType dtype;
    private final int[] shape;
    private final TensorArena arena;
    private double initial;
    private Tensor value;
    private boolean trainable;
    private Var var;

    public Parameter(Tensor value, boolean trainable, TensorArena arena) {
        this(value.dtype(), value.shape(), trainable, arena);
        this.value = value;
    }

    /** A zero-filled parameter of this dtype and shape, allocated in {@code arena} on first use. */
    public Parameter(DType dtype, int[] shape, boolean trainable, TensorArena arena) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.arena = arena;
        this.trainable = trainable;
    }

    /** The value, allocating it (filled with the initial value) if nothing was loaded yet. */
    public Tensor value() {
        if (value == null) {
            value = Tensor.allocate(Backends.cpu(), dtype, shape, arena);
            if (initial != 0) value.fill(initial);
        }
        return value;
    }

    /** The value an unloaded parameter starts with when first read (1 for norm scales); 0 by default. */
    public Parameter initialValue(double v) {
        if (value != null) value.fill(v);
        initial = v;
        return this;
    }

    /** True once the value has memory (allocated or loaded). */
    public boolean isMaterialized() { return value != null; }

    public int[] shape() { return shape.clone(); }

    public DType dtype() { return value != null ? value.dtype() : dtype; }

    public boolean trainable() { return trainable; }

    /** The autograd view of this parameter (the same leaf across a step, so gradients accumulate). */
    public Var var() {
        if (var == null) var = trainable ? Var.leaf(value(), arena) : Var.constant(value());
        return var;
    }

    /** Gradient accumulated by the last backward, or null. */
    public Tensor grad() { return var == null ? null : var.grad(); }

    public void zeroGrad() {
        if (var != null) var.zeroGrad();
    }

    public void setTrainable(boolean t) {
        if (t != trainable) var = null;
        trainable = t;
    }

    /** Replaces the value (same shape), e.g. when loading a checkpoint; keeps any gradient. */
    public void set(Tensor v) {
        if (!Arrays.equals(v.shape(), shape))
            throw new IllegalArgumentException("parameter of shape " + Arrays.toString(shape) + " cannot take a tensor of shape " + Arrays.toString(v.shape()));
        Tensor g = grad();
        value = v;
        var = null;
        if (g != null && trainable) var().setGrad(g);
    }

    public TensorArena arena() { return arena; }
}
