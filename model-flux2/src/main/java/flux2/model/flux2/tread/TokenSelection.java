package flux2.model.flux2.tread;

import flux2.autograd.F;
import flux2.autograd.Var;
import flux2.model.flux2.Rope;
import flux2.tensor.Layouts;
import flux2.tensor.Tensor;

/**
 * One route's choice for one forward: per sample, which of the S image tokens run through the window (the
 * first K of a random permutation) and which skip it. Gathers and the restoring gather are differentiable
 * (index_select, backward index_add), so gradients reach both kinds of tokens.
 */
public final class TokenSelection {
    private final int batch, tokens, kept;
    // indices into the flattened [B * S] token axis
    private final Tensor keptIndex, skippedIndex, restoreIndex;
    private final int[][] order;

    /** {@code order[b]} is sample b's permutation of 0..S-1; its first {@code kept} entries run through the window. */
    TokenSelection(int[][] order, int kept) {
        batch = order.length;
        tokens = order[0].length;
        this.kept = kept;
        this.order = order;
        long[] k = new long[batch * kept], s = new long[batch * (tokens - kept)], r = new long[batch * tokens];
        for (int b = 0; b < batch; b++) {
            int base = b * tokens;
            for (int j = 0; j < tokens; j++) {
                if (j < kept) k[b * kept + j] = base + order[b][j];
                else s[b * (tokens - kept) + j - kept] = base + order[b][j];
                // after the window, sample b's sequence is [kept outputs; skipped inputs]: slot j holds token order[b][j]
                r[base + order[b][j]] = base + j;
            }
        }
        keptIndex = Tensor.ofLongs(k, k.length);
        skippedIndex = Tensor.ofLongs(s, s.length);
        restoreIndex = Tensor.ofLongs(r, r.length);
    }

    /** Image tokens that run through the window, per sample. */
    public int kept() { return kept; }

    /** Sample b's tokens (original positions) that run through the window, in the order they pass through it. */
    public int[] keptTokens(int sample) { return java.util.Arrays.copyOf(order[sample], kept); }

    /** {kept [B, K, D], skipped [B, S - K, D]} of image tokens [B, S, D]. */
    public Var[] split(Var img) {
        check(img, tokens, "image tokens");
        Var flat = img.contiguous().reshape(batch * tokens, img.size(2));
        return new Var[]{gather(flat, keptIndex, kept), gather(flat, skippedIndex, tokens - kept)};
    }

    /** The rotary table of the kept tokens, gathered with the same permutation. */
    public Rope rope(Rope full) {
        return new Rope(gather(full.cos(), keptIndex, kept), gather(full.sin(), keptIndex, kept));
    }

    /** Image tokens [B, S, D] in their original order: window outputs for the kept ones, the untouched inputs for the skipped. */
    public Var restore(Var keptOut, Var skipped) {
        check(keptOut, kept, "window outputs");
        int d = keptOut.size(2);
        Var both = F.concat(1, keptOut, skipped).reshape(batch * tokens, d);
        return F.indexSelect(both, 0, restoreIndex.to(both.data().backend())).reshape(batch, tokens, d);
    }

    private Var gather(Var flat, Tensor index, int n) {
        // the indices are made on the host; they follow the tokens to their device (a no-op on the CPU)
        return F.indexSelect(flat, 0, index.to(flat.data().backend())).reshape(batch, n, flat.size(1));
    }

    /** Rows of a table [B, 1, S, W] picked by a flattened token index: [B, 1, n, W]. */
    private Tensor gather(Tensor table, Tensor index, int n) {
        int w = table.size(3);
        return Layouts.indexSelect(table.contiguous().reshape(batch * tokens, w), 0, index.to(table.backend())).reshape(batch, 1, n, w);
    }

    private void check(Var x, int length, String what) {
        if (x.rank() != 3 || x.size(0) != batch || x.size(1) != length)
            throw new IllegalArgumentException(what + " must be [" + batch + ", " + length + ", D], got " + java.util.Arrays.toString(x.shape()));
    }
}
