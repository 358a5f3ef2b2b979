package flux2.model.mistral;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The FLUX.2 text embedding: for each token, the concatenation over the configured output layers of the
 * Mistral hidden states ([B, L, layers * hidden]). Under left padding a pad row sees no key, so it depends on
 * its token alone: it is computed once per model and reused, and only the real tokens run through the decoder
 * (at their absolute positions, so the results equal a full padded forward).
 */
public final class FluxTextEmbedder implements AutoCloseable {
    private final MistralModel model;
    private final int[] outputLayers;
    private final TensorArena cacheArena = TensorArena.create("flux2-pad-rows");
    private final Map<Integer, Tensor[]> unattendedRows = new HashMap<>();

    private final FluxPromptTokenizer tokenizer;

    /** An embedder of token ids only (see {@link #embed}). */
    public FluxTextEmbedder(MistralModel model) { this(model, null); }

    public FluxTextEmbedder(MistralModel model, FluxPromptTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.outputLayers = model.config().outputLayers();
    }

    /** Prompt embeddings [B, L, width] with the token ids and attention mask [B, L] they came from. */
    public record Encoded(Tensor promptEmbeds, Tensor ids, Tensor attentionMask) {}

    /** Tokenizes prompts the FLUX.2 way (chat template, 512 left-padded ids) and embeds them. */
    public Encoded encode(List<String> prompts) {
        if (tokenizer == null) throw new IllegalStateException("this embedder was built without a tokenizer");
        FluxPromptTokenizer.Tokens t = tokenizer.tokenize(prompts);
        Tensor ids = t.idsTensor(), mask = t.maskTensor();
        return new Encoded(embed(ids, mask), ids, mask);
    }

    public MistralModel model() { return model; }

    /** Width of one token's embedding. */
    public int width() { return outputLayers.length * model.config().hiddenSize(); }

    /**
     * Embeddings [B, L, width] (F32, current arena) of token ids [B, L] with attention mask [B, L]. Rows padded
     * on the left take the cached pad rows; any other mask runs the full sequence.
     */
    public Tensor embed(Tensor ids, Tensor attentionMask) {
        if (ids.rank() != 2 || !java.util.Arrays.equals(ids.shape(), attentionMask.shape()))
            throw new IllegalArgumentException("ids and attention mask must both be [B, L], got " + ids + " and " + attentionMask);
        int b = ids.size(0), l = ids.size(1), h = model.config().hiddenSize();
        Tensor out = Tensor.zeros(DType.F32, b, l, width());
        float[] idv = ids.contiguous().to(DType.F32).toFloatArray(), mv = attentionMask.contiguous().to(DType.F32).toFloatArray();
        for (int r = 0; r < b; r++) {
            int pads = leftPads(mv, r * l, l);
            Tensor row = out.select(0, r);
            try (var a = TensorArena.open("flux2-embed-row")) {
                if (pads < 0) {
                    place(row, 0, model.hiddenStates(ids.narrow(0, r, 1), attentionMask.narrow(0, r, 1), 0, outputLayers), h);
                    continue;
                }
                for (int p = 0; p < pads; p++) {
                    Tensor[] pad = unattended((int) idv[r * l + p]);
                    for (int j = 0; j < pad.length; j++) row.select(0, p).narrow(0, j * h, h).copyFrom(pad[j]);
                }
                if (pads < l) {
                    Tensor real = ids.narrow(0, r, 1).narrow(1, pads, l - pads);
                    Tensor ones = Tensor.full(DType.F32, 1, 1, l - pads);
                    place(row.narrow(0, pads, l - pads), 0, model.hiddenStates(real, ones, pads, outputLayers), h);
                }
            }
        }
        return out;
    }

    /** Writes hidden states [1, n, h] side by side into rows [n, width] starting at row `from`. */
    private static void place(Tensor rows, int from, Tensor[] states, int h) {
        for (int j = 0; j < states.length; j++) {
            Tensor s = states[j].select(0, 0);
            rows.narrow(0, from, s.size(0)).narrow(1, j * h, h).copyFrom(s);
        }
    }

    /** Number of leading zeros of a mask row whose remaining entries are all nonzero, else -1. */
    private static int leftPads(float[] mask, int start, int l) {
        int p = 0;
        while (p < l && mask[start + p] == 0) p++;
        for (int i = p; i < l; i++) if (mask[start + i] == 0) return -1;
        return p;
    }

    /** The output-layer states of a row that sees no key, by its token, computed once. */
    private Tensor[] unattended(int token) {
        Tensor[] rows = unattendedRows.get(token);
        if (rows == null) {
            try (var s = cacheArena.enter()) {
                rows = model.unattendedRow(token, outputLayers);
            }
            unattendedRows.put(token, rows);
        }
        return rows;
    }

    /** Frees the cached pad rows (the model stays open). */
    @Override
    public void close() { cacheArena.close(); }
}
