package flux2.model.vae;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Conv2d;
import flux2.autograd.nn.GroupNorm;
import java.util.function.UnaryOperator;

/** Every step at once on the autograd graph: what training differentiates. */
record EagerMap(Var x) implements FeatureMap {
    @Override public FeatureMap conv(Conv2d conv) { return new EagerMap(conv.forward(x)); }

    @Override public FeatureMap norm(GroupNorm norm) { return new EagerMap(norm.forward(x)); }

    @Override public FeatureMap swish() { return new EagerMap(x.silu()); }

    @Override public FeatureMap upsample() { return new EagerMap(F.upsampleNearest(x, 2)); }

    @Override public FeatureMap add(FeatureMap other) { return new EagerMap(x.add(other.var())); }

    @Override public FeatureMap whole(UnaryOperator<Var> layer) { return new EagerMap(layer.apply(x)); }

    @Override public FeatureMap then(UnaryOperator<FeatureMap> layer) { return layer.apply(this); }

    @Override public Var var() { return x; }
}
