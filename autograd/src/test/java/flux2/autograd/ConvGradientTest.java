package flux2.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import flux2.autograd.nn.Conv2d;
import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Rng;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of conv2d's gradients through F.conv2d and the Conv2d module. */
class ConvGradientTest {
    private final Rng rng = new Rng(11);

    private Tensor rand(int... shape) { return rng.normal(0, 1, shape); }

    @Test
    void conv2dWithBias() {
        int[] s1 = {1, 1}, p1 = {1, 1, 1, 1};
        GradCheck.check("conv2d 3x3 pad 1", v -> F.conv2d(v[0], v[1], v[2], s1, p1), rand(2, 3, 6, 5), rand(4, 3, 3, 3), rand(4));
    }

    @Test
    void strideTwoAsymmetricPaddingWithBias() {
        int[] s2 = {2, 2}, p = {0, 1, 0, 1};
        GradCheck.check("conv2d stride 2 pad (0,1,0,1)", v -> F.conv2d(v[0], v[1], v[2], s2, p),
                rand(2, 3, 7, 8), rand(5, 3, 3, 3), rand(5));
    }

    @Test
    void otherKernelsStridesAndStridedInputs() {
        GradCheck.check("conv2d 1x3 stride (1,2) no bias", v -> F.conv2d(v[0], v[1], null, new int[]{1, 2}, new int[]{0, 0, 1, 1}),
                rand(1, 2, 5, 9), rand(3, 2, 1, 3));
        GradCheck.check("conv2d 4x4 stride 2 channels-last input",
                v -> F.conv2d(v[0].permute(0, 3, 1, 2), v[1], v[2], new int[]{2, 2}, new int[]{1, 1, 1, 1}),
                rand(1, 7, 6, 2), rand(3, 2, 4, 4), rand(3));
        GradCheck.check("conv2d 1x1", v -> F.conv2d(v[0], v[1], v[2], new int[]{1, 1}, new int[]{0, 0, 0, 0}),
                rand(2, 4, 3, 3), rand(2, 4, 1, 1), rand(2));
        Tensor x = rand(1, 2, 5, 5);
        GradCheck.check("conv2d weight only", v -> F.conv2d(Var.constant(x), v[0], v[1], new int[]{1, 1}, new int[]{1, 1, 1, 1}),
                rand(3, 2, 3, 3), rand(3));
    }

    @Test
    void moduleForwardAndParameterGradients() {
        try (TensorArena a = TensorArena.open("conv-module")) {
            Conv2d conv = new Conv2d(3, 4, 3, 3, new int[]{2, 2}, new int[]{0, 1, 0, 1}, true, DType.F32, a);
            conv.weight.set(rand(4, 3, 3, 3).copyTo(a));
            conv.bias.set(rand(4).copyTo(a));
            Tensor x = rand(2, 3, 8, 8);
            // The module is F.conv2d on its parameters: same output, and its leaves receive the kernels' gradients.
            Var y = conv.forward(Var.constant(x));
            assertArrayEquals(NN.conv2d(x, conv.weight.value(), conv.bias.value(), new int[]{2, 2}, new int[]{0, 1, 0, 1})
                    .toFloatArray(), y.data().toFloatArray());
            Tensor g = rand(y.shape());
            y.backward(g);
            assertArrayEquals(NN.conv2dBackwardWeight(x, g, new int[]{2, 2}, new int[]{0, 1, 0, 1}, new int[]{4, 3, 3, 3})
                    .toFloatArray(), conv.weight.grad().toFloatArray());
            assertArrayEquals(g.sum(0, 2, 3).toFloatArray(), conv.bias.grad().toFloatArray(), 1e-5f);
            Conv2d plain = new Conv2d(3, 4, 1, 1, 0, false, DType.F32, a);
            assertNull(plain.bias);
            assertArrayEquals(new int[]{2, 4, 8, 8}, plain.forward(Var.constant(x)).shape());
        }
    }
}
