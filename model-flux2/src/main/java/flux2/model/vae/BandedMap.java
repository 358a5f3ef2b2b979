package flux2.model.vae;

import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The autoencoder's steps made band by band, for inference on large images. A map is a recipe for any band of
 * its rows; it is computed as a whole only where the whole is needed: a layer's output, a convolution's input
 * for GroupNorm statistics, or the input of a layer that sees every position (attention). Each layer of a chain
 * writes its output into an arena of its own, and the previous layer's arena is closed as soon as that output
 * exists, so about three activations are alive at a time: the layer's input, one intermediate and its output.
 *
 * @param own the arena that holds this map when it is a layer's output, else null
 */
record BandedMap(Rows rows, long tileBytes, TensorArena own) implements FeatureMap {
    static BandedMap of(Tensor x, long tileBytes) { return new BandedMap(Rows.of(x), tileBytes, null); }

    private BandedMap with(Rows r) { return new BandedMap(r, tileBytes, null); }

    @Override
    public FeatureMap conv(Conv2d c) {
        return with(new ConvRows(c.weight.value(), c.bias.value(), c.stride(), c.padding(), rows, tileBytes, List.of()));
    }

    @Override
    public FeatureMap norm(GroupNorm n) { return with(new GroupNormRows(rows.all(), n.groups, n.weight.value(), n.bias.value(), n.eps)); }

    @Override public FeatureMap swish() { return with(Rows.mapped(rows, Tensor::silu)); }

    @Override public FeatureMap upsample() { return with(Rows.upsampled(rows)); }

    /** A convolution plus a residual adds the residual to each band of its output; other sums are made whole. */
    @Override
    public FeatureMap add(FeatureMap other) {
        Rows o = ((BandedMap) other).rows;
        return with(rows instanceof ConvRows c ? c.plus(o) : Rows.of(rows.all().add(o.all())));
    }

    @Override public FeatureMap whole(UnaryOperator<Var> layer) { return with(Rows.of(layer.apply(Var.constant(rows.all())).data())); }

    /** Runs the layer with its temporaries in a scratch arena and its output in a new arena; closes this map's. */
    @Override
    public FeatureMap then(UnaryOperator<FeatureMap> layer) {
        TensorArena next = TensorArena.create("vae-activation");
        Tensor out;
        try (var scope = next.enter(); var tmp = TensorArena.open("vae-layer")) {
            out = ((BandedMap) layer.apply(this)).rows.into(next);
        } catch (RuntimeException | Error e) {
            next.close();
            throw e;
        }
        if (own != null) own.close();
        return new BandedMap(Rows.of(out), tileBytes, next);
    }

    /** The whole map copied into the current arena; this map's own arena is closed. */
    @Override
    public Var var() {
        try {
            return Var.constant(own == null ? rows.all() : rows.all().copyTo(TensorArena.current()));
        } finally {
            if (own != null) own.close();
        }
    }
}
