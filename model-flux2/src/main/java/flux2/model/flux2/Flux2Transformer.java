package flux2.model.flux2;

import flux2.autograd.Checkpoint;
import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.autograd.nn.Linear;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.ModuleList;
import flux2.model.flux2.tread.TokenRouting;
import flux2.model.flux2.tread.TreadRouter;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.function.Function;

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
     * window only the kept image tokens pass through the blocks (see {@link TokenRouting}).
     */
    public Var forward(Var x, Tensor xIds, Var ctx, Tensor ctxIds, Tensor timesteps, Tensor guidance, TreadRouter router) {
        Var vec = timeIn.forward(Var.constant(TimestepEmbedding.of(timesteps)));
        if (guidanceIn != null) {
            if (guidance == null) throw new IllegalArgumentException("this model embeds guidance: pass a guidance value per sample");
            vec = vec.add(guidanceIn.forward(Var.constant(TimestepEmbedding.of(guidance))));
        }
        Var doubleModImg = modImg.forward(vec), doubleModTxt = modTxt.forward(vec), singleMod = modSingle.forward(vec);

        Var img = imgIn.forward(x), txt = txtIn.forward(ctx);
        int imageTokens = img.size(1), textTokens = txt.size(1), depth = doubleBlocks.size();
        Rope peX = Rope.of(xIds, config.axesDim(), config.theta()), peCtx = Rope.of(ctxIds, config.axesDim(), config.theta());
        TokenRouting routing = new TokenRouting(router, depth + singleBlocks.size(), peCtx, peX);

        for (int i = 0; i < depth; i++) {
            DoubleStreamBlock block = doubleBlocks.get(i);
            img = routing.enter(i, img);
            Rope pe = routing.imageRope();
            Var[] out = run(in -> block.forward(in[0], in[1], pe, peCtx, in[2], in[3]), img, txt, doubleModImg, doubleModTxt);
            img = routing.leave(i, out[0]);
            txt = out[1];
        }
        img = F.concat(1, txt, img);
        for (int i = 0; i < singleBlocks.size(); i++) {
            SingleStreamBlock block = singleBlocks.get(i);
            img = routing.enterJoint(depth + i, img, textTokens);
            Rope pe = routing.jointRope();
            img = run(in -> new Var[]{block.forward(in[0], pe, in[1])}, img, singleMod)[0];
            img = routing.leaveJoint(depth + i, img, textTokens);
        }
        return finalLayer.forward(img.narrow(1, textTokens, imageTokens), vec);
    }

    /** A block's outputs for these inputs, through a gradient checkpoint when checkpointing is on. */
    private Var[] run(Function<Var[], Var[]> block, Var... inputs) {
        return checkpointing ? Checkpoint.applyAll(block, inputs) : block.apply(inputs);
    }

    /** Forward on plain tensors (nothing recorded unless a parameter is trainable). */
    public Tensor forward(Tensor x, Tensor xIds, Tensor ctx, Tensor ctxIds, Tensor timesteps, Tensor guidance) {
        return forward(Var.constant(x), xIds, Var.constant(ctx), ctxIds, timesteps, guidance).data();
    }
}
