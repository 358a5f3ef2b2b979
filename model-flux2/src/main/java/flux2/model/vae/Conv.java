package flux2.model.vae;

import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/**
 * A 2-D convolution layer (weight [Cout, Cin, k, k], bias [Cout]) that can run over bands of output rows: each
 * band reads only the input rows it needs (plus the kernel's halo) and frees its temporaries before the next.
 *
 * @param padding   zero padding (top, bottom, left, right)
 * @param tileBytes rough size of one band's input; bands hold at least one output row
 */
record Conv(Tensor weight, Tensor bias, int stride, int[] padding, long tileBytes) {
    /** Post-processing of one band of output rows [from, to), e.g. adding a residual. */
    interface Epilogue {
        Tensor apply(int from, int to, Tensor band);
    }

    /** Stride 1 with "same" padding. */
    static Conv same(VaeWeights w, String name, long tileBytes) {
        Tensor weight = w.get(name + ".weight");
        int p = weight.size(2) / 2;
        return new Conv(weight, w.get(name + ".bias"), 1, new int[]{p, p, p, p}, tileBytes);
    }

    /** The downsampling convolution: pad right and bottom by one, stride 2. */
    static Conv down(VaeWeights w, String name, long tileBytes) {
        return new Conv(w.get(name + ".weight"), w.get(name + ".bias"), 2, new int[]{0, 1, 0, 1}, tileBytes);
    }

    int outChannels() { return weight.size(0); }

    int kernel() { return weight.size(2); }

    /** Output size along one axis of input size {@code in} with padding {@code before + after}. */
    int outSize(int in, int before, int after) { return (in + before + after - kernel()) / stride + 1; }

    /** The whole convolution at once (for small inputs). */
    Tensor apply(Tensor x) { return NN.conv2d(x, weight, bias, new int[]{stride, stride}, padding); }

    /** Output shape for an input of shape [N, C, H, W]. */
    int[] outShape(int[] in) {
        return new int[]{in[0], outChannels(), outSize(in[2], padding[0], padding[1]), outSize(in[3], padding[2], padding[3])};
    }

    /** The convolution of {@code src} as a new tensor in the current arena, computed band by band. */
    Tensor apply(Rows src) {
        Tensor out = Tensor.zeros(DType.F32, outShape(src.shape()));
        into(out, src, null);
        return out;
    }

    /**
     * Writes the convolution of {@code src} into {@code out}, band by band, each band passed through
     * {@code epilogue} (if not null) before it is stored.
     */
    void into(Tensor out, Rows src, Epilogue epilogue) {
        int[] s = src.shape();
        int ho = out.size(2);
        long rowBytes = (long) s[0] * s[1] * s[3] * Float.BYTES;
        long inRows = Math.max(kernel(), tileBytes / Math.max(rowBytes, 1));
        int band = (int) Math.clamp((inRows - kernel()) / stride + 1, 1, ho);
        for (int o0 = 0; o0 < ho; o0 += band) {
            int o1 = Math.min(ho, o0 + band);
            // Input rows a..b-1 of the padded input feed output rows o0..o1-1; the part outside the input is padding.
            int a = o0 * stride - padding[0], b = (o1 - 1) * stride - padding[0] + kernel();
            int i0 = Math.max(0, a), i1 = Math.min(s[2], b);
            try (var tmp = TensorArena.open("vae-conv-band")) {
                Tensor y = NN.conv2d(src.rows(i0, i1), weight, bias, new int[]{stride, stride},
                        new int[]{i0 - a, b - i1, padding[2], padding[3]});
                if (epilogue != null) y = epilogue.apply(o0, o1, y);
                out.narrow(2, o0, o1 - o0).copyFrom(y);
            }
        }
    }
}
