package flux2.autograd.nn;

import flux2.tensor.Backend;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of the model tree: named children and parameters, giving the dotted names checkpoints use
 * ({@code double_blocks.0.img_attn.qkv.weight}).
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /** Registers a child module under {@code name} and returns it. */
    protected <M extends Module> M child(String name, M module) {
        if (children.containsKey(name) || params.containsKey(name)) throw new IllegalArgumentException("duplicate name '" + name + "'");
        children.put(name, module);
        return module;
    }

    /** Registers a parameter of the given dtype and shape, zero-filled in {@code arena} when first read. */
    protected Parameter param(String name, TensorArena arena, DType dtype, int... shape) {
        return param(name, new Parameter(dtype, shape, true, arena));
    }

    protected Parameter param(String name, Parameter p) {
        if (children.containsKey(name) || params.containsKey(name)) throw new IllegalArgumentException("duplicate name '" + name + "'");
        params.put(name, p);
        return p;
    }

    public Map<String, Module> children() { return java.util.Collections.unmodifiableMap(children); }

    /**
     * Every module of this subtree of the given type by dotted name, in registration order; the search does
     * not descend into a match (a Linear's own adapter modules are not listed).
     */
    public <M extends Module> Map<String, M> modulesOfType(Class<M> type) {
        Map<String, M> out = new LinkedHashMap<>();
        collectModules("", type, out);
        return out;
    }

    private <M extends Module> void collectModules(String prefix, Class<M> type, Map<String, M> out) {
        children.forEach((name, c) -> {
            if (type.isInstance(c)) out.put(prefix + name, type.cast(c));
            else c.collectModules(prefix + name + ".", type, out);
        });
    }

    /**
     * Moves every parameter of this subtree to {@code backend}: a copy in {@code arena} for each one that lives
     * elsewhere (weights are uploaded once; later steps read them in place).
     */
    public void to(Backend backend, TensorArena arena) {
        for (Parameter p : namedParameters().values()) {
            if (p.isMaterialized() && p.value().backend() == backend) continue;
            Tensor v = Tensor.allocate(backend, p.dtype(), p.shape(), arena).copyFrom(p.value());
            p.set(v);
        }
    }

    /** All parameters of this subtree by dotted name, in registration order. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        params.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out));
    }

    /** Parameters that currently require gradients. */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) if (p.trainable()) out.add(p);
        return out;
    }

    /** Forgets the gradients of every parameter of this subtree (buffers are kept for reuse). */
    public void zeroGrad() {
        for (Parameter p : namedParameters().values()) p.zeroGrad();
    }

    /** Freezes or unfreezes every parameter of this subtree. */
    public void setTrainable(boolean trainable) {
        for (Parameter p : namedParameters().values()) p.setTrainable(trainable);
    }

    /** Name to value of every parameter. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((k, p) -> out.put(k, p.value()));
        return out;
    }

    /**
     * Loads values by name. Every parameter must be present with its shape; keys without a parameter are an
     * error when {@code strict}. The values are used as given (views of a mapped file stay mapped); pass
     * {@code copy} to copy them into the parameters' own memory in the parameters' dtype instead.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict, boolean copy) {
        Map<String, Parameter> mine = namedParameters();
        Map<String, int[]> expected = new LinkedHashMap<>();
        mine.forEach((k, p) -> expected.put(k, p.shape()));
        KeyMatch.of(expected, KeyMatch.shapes(state), strict).check("state dict does not match " + getClass().getSimpleName());
        for (var e : mine.entrySet()) {
            Parameter p = e.getValue();
            Tensor t = state.get(e.getKey());
            if (copy) p.value().copyFrom(t);
            else p.set(t);
        }
    }
}
