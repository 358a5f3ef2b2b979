package flux2.autograd.nn;

import flux2.autograd.Var;

/**
 * The base product of a {@link Linear}, x W^T without the bias, when it is not the dense weight (for example a
 * quantized copy of W). It gives x its gradient; W itself stays frozen.
 */
public interface LinearBase {
    Var apply(Var x);
}
