package flux2.autograd;

import flux2.tensor.Tensor;

/**
 * One recorded operation: its inputs and the rule that turns the gradient of its output into gradients of its
 * inputs. Subclasses keep what the backward needs and drop it in {@link #release()}.
 */
public abstract class Node {
    Var[] inputs;

    protected Node(Var... inputs) { this.inputs = inputs; }

    /** Gradients for each input (null where an input needs none) given the gradient of the output. */
    protected abstract Tensor[] backward(Tensor gradOut);

    /** Whether input i needs a gradient. */
    protected final boolean needs(int i) { return inputs[i] != null && inputs[i].requiresGrad(); }

    /** Drops saved tensors; called once the backward of this node has run. */
    protected void release() {}

    /** The operation's name, for error messages. */
    public String name() { return getClass().getSimpleName(); }
}
