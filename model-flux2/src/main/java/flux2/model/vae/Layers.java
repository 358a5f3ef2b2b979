package flux2.model.vae;

import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.tensor.DType;
import flux2.tensor.TensorArena;

/** The autoencoder's two layer kinds as the reference declares them: GroupNorm (eps 1e-6) and biased convolutions. */
final class Layers {
    private Layers() {}

    static GroupNorm norm(int groups, int channels, TensorArena arena) {
        return new GroupNorm(groups, channels, VaeConfig.NORM_EPS, arena);
    }

    /** A k x k convolution, stride 1, "same" padding. */
    static Conv2d conv(int in, int out, int k, TensorArena arena) {
        return new Conv2d(in, out, k, 1, k / 2, true, DType.F32, arena);
    }

    /** The downsampling convolution: 3 x 3, stride 2, padding only on the bottom and right edges (by one). */
    static Conv2d downConv(int channels, TensorArena arena) {
        return new Conv2d(channels, channels, 3, 3, new int[]{2, 2}, new int[]{0, 1, 0, 1}, true, DType.F32, arena);
    }
}
