package flux2.autograd;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Rng;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every differentiable operation, with broadcasting and strided inputs. */
class OpGradientTest {
    private final Rng rng = new Rng(5);

    private Tensor rand(int... shape) { return rng.normal(0, 1, shape); }

    private Tensor positive(int... shape) { return rng.uniform(0.5, 2, shape); }

    @Test
    void arithmeticWithBroadcasting() {
        GradCheck.check("add", v -> v[0].add(v[1]), rand(3, 4, 5), rand(4, 1));
        GradCheck.check("sub", v -> v[0].sub(v[1]), rand(3, 1, 5), rand(4, 5));
        GradCheck.check("mul", v -> v[0].mul(v[1]), rand(2, 3), rand(3));
        GradCheck.check("div", v -> v[0].div(v[1]), rand(2, 3), positive(2, 1));
        GradCheck.check("affine", v -> v[0].mul(1.5).add(2).sub(0.5).div(3), rand(7));
    }

    @Test
    void unaryFunctions() {
        GradCheck.check("neg", v -> v[0].neg(), rand(6));
        GradCheck.check("exp", v -> v[0].exp(), rand(6));
        GradCheck.check("log", v -> v[0].log(), positive(6));
        GradCheck.check("sqrt", v -> v[0].sqrt(), positive(6));
        GradCheck.check("rsqrt", v -> v[0].rsqrt(), positive(6));
        GradCheck.check("tanh", v -> v[0].tanh(), rand(6));
        GradCheck.check("sigmoid", v -> v[0].sigmoid(), rand(6));
        GradCheck.check("silu", v -> v[0].silu(), rand(9));
        GradCheck.check("gelu", v -> v[0].gelu(), rand(9));
        GradCheck.check("geluTanh", v -> v[0].geluTanh(), rand(9));
        GradCheck.check("square", v -> v[0].square(), rand(6));
        GradCheck.check("pow", v -> v[0].pow(2.5), positive(6));
        GradCheck.check("abs", v -> v[0].abs(), Tensor.of(new float[]{-2, -0.5f, 0.7f, 3}, 4));
        GradCheck.check("clamp", v -> v[0].clamp(-0.5, 0.5), Tensor.of(new float[]{-2, -0.3f, 0.2f, 3}, 4));
    }

    @Test
    void reductions() {
        GradCheck.check("sum all", v -> v[0].sum(), rand(3, 4));
        GradCheck.check("sum axes", v -> v[0].sum(0, 2), rand(3, 4, 5));
        GradCheck.check("mean keep", v -> v[0].meanKeepDim(1), rand(3, 4, 5));
        GradCheck.check("max", v -> v[0].max(-1), rand(4, 6));
        GradCheck.check("softmax", v -> v[0].softmax(), rand(3, 7));
    }

    @Test
    void viewsAndStridedInputs() {
        GradCheck.check("permute", v -> v[0].permute(2, 0, 1).mul(v[0].permute(2, 0, 1)), rand(2, 3, 4));
        GradCheck.check("reshape", v -> v[0].t().reshape(6, 2).square(), rand(3, 4));
        GradCheck.check("expand", v -> v[0].expand(4, 3, 5).exp(), rand(3, 1));
        GradCheck.check("narrow", v -> v[0].narrow(1, 1, 2).tanh(), rand(3, 4));
        GradCheck.check("unsqueeze/squeeze", v -> v[0].unsqueeze(1).squeeze(1).sigmoid(), rand(3, 4));
    }

    @Test
    void matmul() {
        GradCheck.check("matmul", v -> v[0].matmul(v[1]), rand(5, 7), rand(7, 3));
        GradCheck.check("batched matmul", v -> v[0].matmul(v[1]), rand(2, 5, 4), rand(4, 3));
        GradCheck.check("transposed operands", v -> v[0].t().matmul(v[1].t()), rand(4, 5), rand(3, 4));
    }

    @Test
    void norms() {
        GradCheck.check("layerNorm", v -> F.layerNorm(v[0], v[1], v[2], 1e-5), rand(3, 8), rand(8), rand(8));
        GradCheck.check("layerNorm plain", v -> F.layerNorm(v[0], null, null, 1e-6), rand(2, 3, 8));
        GradCheck.check("rmsNorm", v -> F.rmsNorm(v[0], v[1], 1e-6), rand(4, 8), rand(8));
        GradCheck.check("rmsNorm plain", v -> F.rmsNorm(v[0], null, 1e-6), rand(2, 3, 8));
        GradCheck.check("layerNorm weight only", v -> F.layerNorm(v[0], v[1], null, 1e-5), rand(3, 8), rand(8));
        GradCheck.check("modulatedLayerNorm", v -> F.modulatedLayerNorm(v[0], v[1], v[2], 1e-6), rand(2, 3, 8), rand(2, 1, 8), rand(2, 1, 8));
        GradCheck.check("modulatedLayerNorm of strided chunks", v -> {
            Var[] c = F.split(v[1], -1, 8, 8);
            return F.modulatedLayerNorm(v[0].transpose(0, 1), c[0], c[1], 1e-6);
        }, rand(4, 2, 8), rand(2, 1, 16));
        GradCheck.check("groupNorm", v -> F.groupNorm(v[0], 2, v[1], v[2], 1e-6), rand(2, 4, 3, 3), rand(4), rand(4));
    }

    @Test
    void ropeBothLayouts() {
        Tensor angles = rng.uniform(-3, 3, 5, 4);
        Tensor cos = angles.cos(), sin = angles.sin();
        for (RopeLayout layout : RopeLayout.values())
            GradCheck.check("rope " + layout, v -> F.rope(layout, v[0], cos, sin), rand(2, 3, 5, 8));
    }

    @Test
    void attention() {
        AttentionSpec spec = AttentionSpec.of(8);
        GradCheck.check("attention", v -> F.attention(spec, v[0], v[1], v[2], null), rand(1, 2, 5, 8), rand(1, 2, 6, 8), rand(1, 2, 6, 8));
        GradCheck.check("causal gqa attention", v -> F.attention(spec.withCausal(true), v[0], v[1], v[2], null),
                rand(1, 4, 5, 8), rand(1, 2, 5, 8), rand(1, 2, 5, 8));
    }

    @Test
    void layoutOps() {
        GradCheck.check("concat", v -> F.concat(1, v[0], v[1].tanh()), rand(2, 3, 4), rand(2, 2, 4));
        GradCheck.check("split", v -> F.split(v[0], 1, 1, 3)[1].square(), rand(2, 4, 3));
        GradCheck.check("pad", v -> F.pad(v[0], 0.5, 1, 0, 2, 1).square(), rand(1, 2, 3, 3));
        GradCheck.check("crop", v -> F.pad(v[0], 0, -1, 0, 0, -1).square(), rand(1, 2, 4, 4));
        GradCheck.check("upsample", v -> F.upsampleNearest(v[0], 2).square(), rand(1, 2, 3, 2));
        GradCheck.check("pixel unshuffle", v -> F.pixelUnshuffle(v[0], 2).square(), rand(1, 2, 4, 6));
        GradCheck.check("pixel shuffle", v -> F.pixelShuffle(v[0], 2).square(), rand(1, 8, 2, 3));
        Tensor ids = Tensor.ofLongs(new long[]{2, 0, 2, 3}, 4);
        GradCheck.check("index select with repeats", v -> F.indexSelect(v[0], 0, ids).square(), rand(5, 3));
    }

    @Test
    void mseLoss() {
        GradCheck.check("mse", v -> F.mseLoss(v[0], v[1]), rand(3, 4), rand(3, 4));
    }
}
