package flux2.tensor.cpu;

/**
 * Sizes and options of one attention call: q [batch, heads, lq, d], k [batch, kvHeads, lk, d],
 * v [batch, kvHeads, lk, dv]; query head h reads key/value head h / group.
 */
record AttnDims(int batch, int heads, int kvHeads, int lq, int lk, int d, int dv, float scale, boolean causal) {
    /** Query heads per key/value head. */
    int group() { return heads / kvHeads; }

    /** Causal alignment: query i sees keys j <= i + shift. */
    int shift() { return lk - lq; }

    /** Exclusive end of the keys that any of the queries [q0, q0 + nq) may see. */
    int keyEnd(int q0, int nq) {
        if (!causal) return lk;
        long end = (long) q0 + nq + shift();
        return (int) Math.max(0, Math.min(lk, end));
    }

    /** First query that sees key k0 (or lq if none does). */
    int firstQuery(int k0) {
        if (!causal) return 0;
        long first = (long) k0 - shift();
        return (int) Math.max(0, Math.min(lq, first));
    }
}
