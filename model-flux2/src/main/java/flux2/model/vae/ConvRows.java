package flux2.model.vae;

import flux2.tensor.DType;
import flux2.tensor.NN;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;

/**
 * A 2-D convolution of a map (weight [Cout, Cin, kh, kw], bias [Cout]), made band by band of output rows: each
 * band reads only the input rows it needs (plus the kernel's halo), has what is added to it (a residual) added,
 * and frees its temporaries before the next.
 *
 * @param padding   zero padding (top, bottom, left, right)
 * @param tileBytes rough size of one band's input; bands hold at least one output row
 */
record ConvRows(Tensor weight, Tensor bias, int[] stride, int[] padding, Rows src, long tileBytes, List<Rows> added) implements Rows {
    ConvRows plus(Rows other) {
        List<Rows> all = new ArrayList<>(added);
        all.add(other);
        return new ConvRows(weight, bias, stride, padding, src, tileBytes, List.copyOf(all));
    }

    @Override
    public int[] shape() {
        int[] s = src.shape();
        return new int[]{s[0], weight.size(0), (s[2] + padding[0] + padding[1] - weight.size(2)) / stride[0] + 1,
                (s[3] + padding[2] + padding[3] - weight.size(3)) / stride[1] + 1};
    }

    @Override
    public Tensor rows(int from, int to) {
        // Input rows a..b-1 of the padded input feed output rows from..to-1; the part outside the input is padding.
        int a = from * stride[0] - padding[0], b = (to - 1) * stride[0] - padding[0] + weight.size(2);
        int i0 = Math.max(0, a), i1 = Math.min(src.shape()[2], b);
        Tensor y = NN.conv2d(src.rows(i0, i1), weight, bias, stride, new int[]{i0 - a, b - i1, padding[2], padding[3]});
        for (Rows r : added) y = y.add(r.rows(from, to));
        return y;
    }

    @Override public Tensor all() { return into(TensorArena.current()); }

    /** The convolution as a new tensor in {@code arena}, computed band by band. */
    @Override
    public Tensor into(TensorArena arena) {
        Tensor out;
        try (var scope = arena.enter()) {
            out = Tensor.zeros(DType.F32, shape());
        }
        int[] s = src.shape();
        int k = weight.size(2), ho = out.size(2);
        long rowBytes = (long) s[0] * s[1] * s[3] * Float.BYTES;
        long inRows = Math.max(k, tileBytes / Math.max(rowBytes, 1));
        int band = (int) Math.clamp((inRows - k) / stride[0] + 1, 1, ho);
        for (int o0 = 0; o0 < ho; o0 += band) {
            int o1 = Math.min(ho, o0 + band);
            try (var tmp = TensorArena.open("vae-conv-band")) {
                out.narrow(2, o0, o1 - o0).copyFrom(rows(o0, o1));
            }
        }
        return out;
    }
}
