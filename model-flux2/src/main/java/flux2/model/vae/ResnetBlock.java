package flux2.model.vae;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;

/** x + conv2(swish(norm2(conv1(swish(norm1(x)))))), with a 1x1 shortcut on x when the width changes. */
final class ResnetBlock {
    private final Norm norm1, norm2;
    private final Conv conv1, conv2, shortcut;

    ResnetBlock(VaeWeights w, String name, long tileBytes) {
        norm1 = Norm.of(w, name + ".norm1");
        conv1 = Conv.same(w, name + ".conv1", tileBytes);
        norm2 = Norm.of(w, name + ".norm2");
        conv2 = Conv.same(w, name + ".conv2", tileBytes);
        shortcut = w.has(name + ".nin_shortcut.weight") ? Conv.same(w, name + ".nin_shortcut", tileBytes) : null;
    }

    /** The block's output in the current arena; its temporaries are freed before it returns. */
    Tensor forward(Tensor x) {
        Tensor out = Tensor.zeros(DType.F32, conv2.outShape(x.shape()));
        try (var tmp = TensorArena.open("vae-resnet")) {
            Tensor h = conv1.apply(norm1.swish(x));
            conv2.into(out, norm2.swish(h), (from, to, band) -> band.add(skip(x, from, to)));
        }
        return out;
    }

    /** Rows [from, to) of the residual branch. */
    private Tensor skip(Tensor x, int from, int to) {
        Tensor rows = x.narrow(2, from, to - from);
        return shortcut == null ? rows : shortcut.apply(rows);
    }
}
