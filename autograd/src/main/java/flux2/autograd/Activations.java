package flux2.autograd;

import flux2.tensor.Ops;
import flux2.tensor.Tensor;
import flux2.tensor.UnaryOp;

/** Elementwise unary functions, each with its derivative. */
final class Activations {
    private Activations() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    static Var neg(Var x) { return unary(x, x.data().neg(), (in, out, g) -> g.neg()); }
    static Var exp(Var x) { return unary(x, x.data().exp(), (in, out, g) -> g.mul(out)); }
    static Var log(Var x) { return unary(x, x.data().log(), (in, out, g) -> g.div(in)); }
    static Var sqrt(Var x) { return unary(x, x.data().sqrt(), (in, out, g) -> g.div(out).mul(0.5)); }
    /** d/dx x^(-1/2) = -out^3 / 2. */
    static Var rsqrt(Var x) { return unary(x, x.data().rsqrt(), (in, out, g) -> g.mul(out.square().mul(out)).mul(-0.5)); }
    static Var tanh(Var x) { return unary(x, x.data().tanh(), (in, out, g) -> g.mul(out.square().neg().add(1))); }
    static Var sigmoid(Var x) { return unary(x, x.data().sigmoid(), (in, out, g) -> g.mul(out.mul(out.neg().add(1)))); }
    static Var square(Var x) { return unary(x, x.data().square(), (in, out, g) -> g.mul(in).mul(2)); }
    static Var abs(Var x) { return unary(x, x.data().abs(), (in, out, g) -> g.mul(in.sign())); }
    static Var pow(Var x, double p) { return unary(x, x.data().pow(p), (in, out, g) -> g.mul(in.pow(p - 1)).mul(p)); }

    /** Gradient passes where lo <= x <= hi. */
    static Var clamp(Var x, double lo, double hi) {
        return unary(x, x.data().clamp(lo, hi), (in, out, g) -> g.mul(in.sub(out).sign().abs().neg().add(1)));
    }

    /** d/dx x s(x) = s(x) (1 + x (1 - s(x))), one fused kernel. */
    static Var silu(Var x) {
        return unary(x, x.data().silu(), (in, out, g) -> g.mul(Ops.unary(UnaryOp.SILU_GRAD, in, 0, 0)));
    }

    /** d/dx x Phi(x) = Phi(x) + x phi(x), one fused kernel. */
    static Var gelu(Var x) {
        return unary(x, x.data().gelu(), (in, out, g) -> g.mul(Ops.unary(UnaryOp.GELU_GRAD, in, 0, 0)));
    }

    /** GELU with the tanh approximation: 0.5 x (1 + tanh(c (x + 0.044715 x^3))). */
    static Var geluTanh(Var x) {
        return unary(x, x.data().geluTanh(), (in, out, g) -> {
            Tensor th = in.add(in.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
            Tensor dInner = in.square().mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
            Tensor d = th.add(1).mul(0.5).add(in.mul(th.square().neg().add(1)).mul(dInner).mul(0.5));
            return g.mul(d);
        });
    }

    private static Var unary(Var x, Tensor out, Rule rule) {
        Unary node = new Unary(x, out, rule);
        return Var.result(out, node);
    }

    /** A derivative rule given the input, the output and the output's gradient. */
    @FunctionalInterface
    interface Rule { Tensor grad(Tensor in, Tensor out, Tensor g); }

    static final class Unary extends Node {
        private final Rule rule;
        private Tensor out;

        Unary(Var x, Tensor out, Rule rule) {
            super(x);
            this.out = out;
            this.rule = rule;
        }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{rule.grad(inputs[0].data(), out, g)}; }

        @Override protected void release() { out = null; }
    }
}
