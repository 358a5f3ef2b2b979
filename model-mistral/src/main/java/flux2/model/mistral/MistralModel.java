package flux2.model.mistral;

import flux2.autograd.Var;
import flux2.autograd.nn.Module;
import flux2.autograd.nn.ModuleList;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import flux2.tensor.io.TensorSource;
import java.util.Map;

/**
 * The Mistral text decoder (MistralModel of transformers) over memory-mapped weights, giving hidden states:
 * index 0 = token embeddings, i = residual stream after i layers, and index {@code numLayers} = the final-normed
 * last state. Only the loaded layers can be asked for.
 */
public final class MistralModel extends Module implements AutoCloseable {
    private final MistralConfig config;
    private final Tensor embedTokens;
    private final ModuleList<MistralDecoderLayer> layers;
    private final Norm norm;
    private final TensorSource source;

    MistralModel(MistralConfig config, Weights w, int numLayers, boolean finalNorm, TensorSource source) {
        this.config = config;
        this.source = source;
        embedTokens = w.get("embed_tokens.weight");
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) layers.add(new MistralDecoderLayer(w, "layers." + i + ".", config));
        norm = finalNorm ? child("norm", new Norm(w.get("norm.weight"), config.rmsNormEps())) : null;
    }

    /**
     * A model over tensors already in memory (text-model names without prefix, e.g. {@code layers.0.mlp.up_proj.weight}):
     * the embedding, the first {@code layers} layers and, if asked, the final norm; shapes are checked.
     */
    public static MistralModel of(MistralConfig config, Map<String, Tensor> weights, int layers, boolean finalNorm) {
        KeyMatch.of(MistralKeys.expected(config, layers, finalNorm), KeyMatch.shapes(weights), false).check("weights do not match the Mistral config");
        return new MistralModel(config, new Weights(weights), layers, finalNorm, null);
    }

    public MistralConfig config() { return config; }

    /** Decoder layers held (the rest were never read). */
    public int loadedLayers() { return layers.size(); }

    /**
     * Hidden states [B, L, hidden] (F32, in the caller's current arena) at the given indices. ids [B, L] hold token
     * ids in any numeric dtype, attentionMask [B, L] is nonzero on real tokens; positions run from positionStart.
     */
    public Tensor[] hiddenStates(Tensor ids, Tensor attentionMask, int positionStart, int... indices) {
        int last = checkIndices(indices);
        int b = ids.size(0), l = ids.size(1);
        if (ids.rank() != 2 || attentionMask.rank() != 2 || attentionMask.size(0) != b || attentionMask.size(1) != l)
            throw new IllegalArgumentException("ids and attention mask must both be [B, L], got " + ids + " and " + attentionMask);
        TensorArena outer = TensorArena.current();
        Tensor[] out = new Tensor[indices.length];
        // Inputs live in the first arena; each layer's activations in its own, freed once the next layer has run.
        TensorArena inputs = TensorArena.open("mistral-inputs"), previous = null;
        try {
            Tensor keyMask = toMask(attentionMask);
            Tensor[] rope = MistralRope.tables(positionStart, l, config.headDim(), config.ropeTheta());
            Var h = Var.constant(embed(ids));
            keep(out, indices, 0, h, outer);
            for (int i = 0; i < Math.min(last, layers.size()); i++) {
                TensorArena step = TensorArena.open("mistral-layer-" + i);
                h = layers.get(i).forward(h, rope[0], rope[1], keyMask);
                keep(out, indices, i + 1, h, outer);
                if (previous != null) previous.close();
                previous = step;
            }
            finalNorm(out, indices, h, outer);
        } finally {
            if (previous != null) previous.close();
            inputs.close();
        }
        return out;
    }

    /**
     * Hidden states [hidden] of a row whose query sees no key (a left-padding row): attention contributes nothing,
     * so the row depends on its token alone; index {@code numLayers} is final-normed.
     */
    public Tensor[] unattendedRow(int tokenId, int... indices) {
        int last = checkIndices(indices);
        TensorArena outer = TensorArena.current();
        Tensor[] out = new Tensor[indices.length];
        try (var a = TensorArena.open("mistral-pad-row")) {
            Var h = Var.constant(embed(Tensor.ofLongs(new long[]{tokenId}, 1, 1)));
            keep(out, indices, 0, h, outer);
            for (int i = 0; i < Math.min(last, layers.size()); i++) {
                h = layers.get(i).forwardUnattended(h);
                keep(out, indices, i + 1, h, outer);
            }
            finalNorm(out, indices, h, outer);
        }
        for (int j = 0; j < out.length; j++) out[j] = out[j].reshape(config.hiddenSize());
        return out;
    }

    /** The final-normed last state for the indices that ask for it. */
    private void finalNorm(Tensor[] out, int[] indices, Var h, TensorArena outer) {
        for (int j = 0; j < indices.length; j++)
            if (indices[j] == config.numLayers() && norm != null) out[j] = norm.forward(h).data().copyTo(outer);
    }

    /** Copies h into the outer arena for every index that asks for it (the final-normed last state excepted). */
    private void keep(Tensor[] out, int[] indices, int index, Var h, TensorArena outer) {
        for (int j = 0; j < indices.length; j++)
            if (indices[j] == index && !(index == config.numLayers() && norm != null)) out[j] = h.data().copyTo(outer);
    }

    private int checkIndices(int[] indices) {
        if (indices.length == 0) throw new IllegalArgumentException("ask for at least one hidden state");
        int last = 0;
        for (int k : indices) {
            boolean normed = k == config.numLayers() && norm != null;
            if (k < 0 || (k > layers.size() && !normed))
                throw new IllegalArgumentException("hidden state " + k + " needs " + k + " layers"
                        + (k == config.numLayers() ? " and the final norm" : "") + "; this model loaded " + layers.size()
                        + (norm == null ? " without the final norm" : ""));
            last = Math.max(last, k);
        }
        return last;
    }

    /** Token embeddings [B, L, hidden] in F32. */
    private Tensor embed(Tensor ids) {
        int b = ids.size(0), l = ids.size(1);
        float[] v = ids.contiguous().to(DType.F32).toFloatArray();
        long[] idx = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = (long) v[i];
            if (idx[i] != v[i] || idx[i] < 0 || idx[i] >= config.vocabSize())
                throw new IllegalArgumentException("token id " + v[i] + " is outside the vocabulary of " + config.vocabSize());
        }
        return Layouts.indexSelect(embedTokens, 0, Tensor.ofLongs(idx, idx.length)).to(DType.F32).reshape(b, l, config.hiddenSize());
    }

    private static Tensor toMask(Tensor attentionMask) {
        float[] m = attentionMask.contiguous().to(DType.F32).toFloatArray();
        Tensor out = Tensor.zeros(DType.U8, attentionMask.shape());
        Tensor flat = out.reshape(-1);
        for (int i = 0; i < m.length; i++) if (m[i] != 0) flat.set(1, i);
        return out;
    }

    /** Unmaps the checkpoint; the model is unusable afterwards. */
    @Override
    public void close() {
        if (source != null) source.close();
    }
}
