package flux2.model.flux2;

import flux2.autograd.Checkpoint;
import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.model.flux2.tread.TokenSelection;
import flux2.model.flux2.tread.TreadConfig;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.List;

/**
 * The FLUX.2 transformer (official {@code Flux2}), with the module names of the official checkpoint:
 * global modulations shared by all blocks, double-stream blocks, single-stream blocks over [text; image], final layer.
 */
public final class Flux2Transformer extends Module {
    public final Flux2Config config;
    public final Linear imgIn, txtIn;
    public final MlpEmbedder timeIn, guidanceIn;
    public final Modulation modImg, modTxt, modSingle;
    public final ModuleList<DoubleStreamBlock> doubleBlocks;
    public final ModuleList<SingleStreamBlock> singleBlocks;
    public final LastLayer finalLayer;
    private boolean checkpointing;

    /** A model whose Linear weights have {@code dtype}; loading replaces them (see {@link Flux2Checkpoint}). */
    public Flux2Transformer(Flux2Config c, DType dtype, TensorArena arena) {
        config = c;
        int d = c.hiddenSize();
        imgIn = child("img_in", new Linear(c.inChannels(), d, false, dtype, arena));
        timeIn = child("time_in", new MlpEmbedder(TimestepEmbedding.DIM, d, dtype, arena));
        guidanceIn = c.guidanceEmbed() ? child("guidance_in", new MlpEmbedder(TimestepEmbedding.DIM, d, dtype, arena)) : null;
        txtIn = child("txt_in", new Linear(c.contextInDim(), d, false, dtype, arena));
        doubleBlocks = child("double_blocks", new ModuleList<>());
        for (int i = 0; i < c.depth(); i++) doubleBlocks.add(new DoubleStreamBlock(c, dtype, arena));
        singleBlocks = child("single_blocks", new ModuleList<>());
        for (int i = 0; i < c.depthSingleBlocks(); i++) singleBlocks.add(new SingleStreamBlock(c, dtype, arena));
        modImg = child("double_stream_modulation_img", new Modulation(d, 6, dtype, arena));
        modTxt = child("double_stream_modulation_txt", new Modulation(d, 6, dtype, arena));
        modSingle = child("single_stream_modulation", new Modulation(d, 3, dtype, arena));
        finalLayer = child("final_layer", new LastLayer(d, c.inChannels(), dtype, arena));
    }

    /** Per-block gradient checkpointing: block activations are recomputed in the backward instead of kept. */
    public void setGradientCheckpointing(boolean on) { checkpointing = on; }

    public boolean gradientCheckpointing() { return checkpointing; }

    /**
     * Velocity for tokens x [B, L, in] (target tokens, then any reference tokens) with ids [B, L, 4], text
     * features ctx [B, Lt, context] with ids [B, Lt, 4], timesteps [B] in [0, 1] and guidance [B] (ignored,
     * and may be null, without a guidance embedder). Returns [B, L, in].
     */
    public Var forward(Var x, Tensor xIds, Var ctx, Tensor ctxIds, Tensor timesteps, Tensor guidance) {
        return forward(x, xIds, ctx, ctxIds, timesteps, guidance, null);
    }

    /**
     * The forward with TREAD token routing when {@code router} is not null (training steps only): in each route's
     * window only the kept image tokens (with their own RoPE rows) pass through the blocks; the others skip it
     * and rejoin unchanged, in their original order. Text tokens are never routed; a window may span the
     * double/single boundary (one selection for the whole window).
     */
    public Var forward(Var x, Tensor xIds, Var ctx, Tensor ctxIds, Tensor timesteps, Tensor guidance, TreadRouter router) {
        Var vec = timeIn.forward(Var.constant(TimestepEmbedding.of(timesteps)));
        if (guidanceIn != null) {
            if (guidance == null) throw new IllegalArgumentException("this model embeds guidance: pass a guidance value per sample");
            vec = vec.add(guidanceIn.forward(Var.constant(TimestepEmbedding.of(guidance))));
        }
        Var mImg = modImg.forward(vec), mTxt = modTxt.forward(vec), mSingle = modSingle.forward(vec);

        Var img = imgIn.forward(x), txt = txtIn.forward(ctx);
        int li = img.size(1), lt = txt.size(1), nd = doubleBlocks.size();
        int[] axes = config.axesDim();
        Rope peImg = Rope.of(xIds, axes, config.theta()), peTxt = Rope.of(ctxIds, axes, config.theta());
        Rope peAll = Rope.of(Layouts.concat(1, ctxIds, xIds), axes, config.theta());
        List<TreadConfig.Window> windows = router == null ? List.of() : router.windows(nd + singleBlocks.size());

        // the open route: its selection, the tokens that skip it, and the block after which they rejoin
        TokenSelection route = null;
        Var skipped = null;
        int routeEnd = -1;
        Rope peImgNow = peImg;
        for (int bi = 0; bi < nd; bi++) {
            DoubleStreamBlock block = doubleBlocks.get(bi);
            TreadConfig.Window w = startingAt(windows, bi);
            TokenSelection sel = w == null ? null : router.select(w, img.size(0), li);
            if (sel != null) {
                Var[] parts = sel.split(img);
                route = sel;
                img = parts[0];
                skipped = parts[1];
                routeEnd = w.end();
                peImgNow = sel.rope(peImg);
            }
            Rope pe = peImgNow;
            int lk = img.size(1);
            if (checkpointing) {
                // one output per checkpoint: [txt; img] along the sequence, split again below
                Var both = Checkpoint.apply(in -> {
                    Var[] r = block.forward(in[0], in[1], in[2], in[3], peTxt, pe);
                    return F.concat(1, r[1], r[0]);
                }, img, txt, mImg, mTxt);
                txt = both.narrow(1, 0, lt);
                img = both.narrow(1, lt, lk);
            } else {
                Var[] r = block.forward(img, txt, mImg, mTxt, peTxt, pe);
                img = r[0];
                txt = r[1];
            }
            if (route != null && bi == routeEnd) {
                img = route.restore(img, skipped);
                route = null;
                peImgNow = peImg;
            }
        }
        Var h = F.concat(1, txt, img);
        Rope peNow = route == null ? peAll : concat(peTxt, peImgNow);
        for (int si = 0; si < singleBlocks.size(); si++) {
            int bi = nd + si;
            SingleStreamBlock block = singleBlocks.get(si);
            TreadConfig.Window w = startingAt(windows, bi);
            TokenSelection sel = w == null ? null : router.select(w, h.size(0), li);
            if (sel != null) {
                Var[] parts = sel.split(h.narrow(1, lt, li));
                route = sel;
                skipped = parts[1];
                routeEnd = w.end();
                h = F.concat(1, h.narrow(1, 0, lt), parts[0]);
                peNow = concat(peTxt, sel.rope(peImg));
            }
            Rope pe = peNow;
            h = checkpointing ? Checkpoint.apply(in -> block.forward(in[0], in[1], pe), h, mSingle) : block.forward(h, mSingle, pe);
            if (route != null && bi == routeEnd) {
                h = F.concat(1, h.narrow(1, 0, lt), route.restore(h.narrow(1, lt, route.kept()), skipped));
                route = null;
                peNow = peAll;
            }
        }
        return finalLayer.forward(h.narrow(1, lt, li), vec);
    }

    private static TreadConfig.Window startingAt(List<TreadConfig.Window> windows, int block) {
        for (TreadConfig.Window w : windows) if (w.start() == block) return w;
        return null;
    }

    private static Rope concat(Rope a, Rope b) {
        return new Rope(Layouts.concat(2, a.cos(), b.cos()), Layouts.concat(2, a.sin(), b.sin()));
    }

    /** Forward on plain tensors (nothing recorded unless a parameter is trainable). */
    public Tensor forward(Tensor x, Tensor xIds, Tensor ctx, Tensor ctxIds, Tensor timesteps, Tensor guidance) {
        return forward(Var.constant(x), xIds, Var.constant(ctx), ctxIds, timesteps, guidance).data();
    }
}
