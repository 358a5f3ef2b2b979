package flux2.trainer.train;

import flux2.autograd.Var;
import flux2.model.flux2.FlowMatching;
import flux2.model.flux2.Flux2Transformer;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The flow-matching loss of one micro-batch, with reference tokens appended per sample when the dataset has
 * conditioning data. Samples whose references differ in size cannot share a forward; they run in groups of equal
 * reference sizes, and the group losses are weighted by group size, which equals the loss of the whole batch (the
 * per-sample means over equally many target tokens, averaged).
 */
final class StepLoss {
    private StepLoss() {}

    /** xt, target [B, L, C]; ids [B, L, 4]; ctx [B, Lt, D]; sigma, guidance [B]; refs null or one per sample. */
    static Var of(Flux2Transformer model, Tensor xt, Tensor ids, Tensor ctx, Tensor ctxIds, Tensor sigma, Tensor guidance,
                  Tensor target, List<ReferenceTokens> refs, TreadRouter router) {
        if (refs == null) return FlowMatching.loss(model, xt, ids, null, null, ctx, ctxIds, sigma, guidance, target, router);
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < refs.size(); i++) groups.computeIfAbsent(refs.get(i).shape(), k -> new ArrayList<>()).add(i);
        int b = xt.size(0);
        Var total = null;
        for (List<Integer> g : groups.values()) {
            Tensor[] r = new Tensor[g.size()], rIds = new Tensor[g.size()];
            for (int j = 0; j < g.size(); j++) {
                // references come from the host caches; they join the target tokens on the model's device
                r[j] = refs.get(g.get(j)).tokens().to(xt.backend());
                rIds[j] = refs.get(g.get(j)).ids().to(xt.backend());
            }
            Var l = FlowMatching.loss(model, rows(xt, g, b), rows(ids, g, b), Layouts.concat(0, r), Layouts.concat(0, rIds),
                    rows(ctx, g, b), rows(ctxIds, g, b), rows(sigma, g, b), guidance == null ? null : rows(guidance, g, b),
                    rows(target, g, b), router);
            Var weighted = g.size() == b ? l : l.mul(g.size() / (double) b);
            total = total == null ? weighted : total.add(weighted);
        }
        return total;
    }

    /** The rows {@code g} of a batch-major tensor (the tensor itself when g is the whole batch in order). */
    private static Tensor rows(Tensor t, List<Integer> g, int b) {
        if (g.size() == b) return t;
        Tensor[] parts = new Tensor[g.size()];
        for (int j = 0; j < g.size(); j++) parts[j] = t.narrow(0, g.get(j), 1);
        return Layouts.concat(0, parts);
    }
}
