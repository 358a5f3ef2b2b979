package flux2.model.vae;

import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import flux2.tensor.Tensor;
import java.util.function.UnaryOperator;

/**
 * An activation [N, C, H, W] as the autoencoder's layers see it. The network is written once against these
 * steps; how they run is the map's: {@link #of(Var)} applies each one at once on the autograd graph (training,
 * small images), {@link #banded} computes band by band of rows and frees each layer's memory as soon as the next
 * layer has its output (inference on large images).
 */
interface FeatureMap {
    /** Steps on the autograd graph. */
    static FeatureMap of(Var x) { return new EagerMap(x); }

    /** Steps computed in bands of rows whose input is about {@code tileBytes}. */
    static FeatureMap banded(Tensor x, long tileBytes) { return BandedMap.of(x, tileBytes); }

    FeatureMap conv(Conv2d conv);

    FeatureMap norm(GroupNorm norm);

    FeatureMap swish();

    /** Nearest-neighbour upsampling by 2. */
    FeatureMap upsample();

    FeatureMap add(FeatureMap other);

    /** A layer that needs the whole map at once (attention over all positions). */
    FeatureMap whole(UnaryOperator<Var> layer);

    /** The next layer of a chain (this map is not used again). */
    FeatureMap then(UnaryOperator<FeatureMap> layer);

    /** The values: the graph's own value, or a tensor in the current arena. */
    Var var();
}
