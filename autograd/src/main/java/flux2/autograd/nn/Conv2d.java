package flux2.autograd.nn;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** 2-D convolution with weight [out, in, kh, kw] as in PyTorch, optional bias [out], stride and padding. */
public class Conv2d extends Module {
    public final int in, out, kh, kw;
    private final int[] stride, padding;
    public final Parameter weight;
    public final Parameter bias;

    /** Stride (sh, sw) and zero padding (top, bottom, left, right). */
    public Conv2d(int in, int out, int kh, int kw, int[] stride, int[] padding, boolean bias, DType dtype, TensorArena arena) {
        if (stride.length != 2 || padding.length != 4)
            throw new IllegalArgumentException("Conv2d: stride must be (sh, sw) and padding (top, bottom, left, right), got "
                    + java.util.Arrays.toString(stride) + " and " + java.util.Arrays.toString(padding));
        this.in = in;
        this.out = out;
        this.kh = kh;
        this.kw = kw;
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.weight = param("weight", arena, dtype, out, in, kh, kw);
        this.bias = bias ? param("bias", arena, DType.F32, out) : null;
    }

    /** Square kernel, equal strides and the same padding on every side. */
    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, DType dtype, TensorArena arena) {
        this(in, out, kernel, kernel, new int[]{stride, stride}, new int[]{padding, padding, padding, padding}, bias, dtype, arena);
    }

    public int[] stride() { return stride.clone(); }

    public int[] padding() { return padding.clone(); }

    public Var forward(Var x) {
        return F.conv2d(x, weight.var(), bias == null ? null : bias.var(), stride, padding);
    }
}
