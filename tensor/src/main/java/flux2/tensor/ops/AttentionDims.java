package flux2.tensor.ops;

import flux2.tensor.AttentionSpec;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Arrays;

/**
 * The checked sizes and options of one fused attention call: q [batch, heads, lq, d], k [batch, kvHeads, lk, d],
 * v [batch, kvHeads, lk, dv], key mask [batch, lk] or none; query head h reads key/value head h / group.
 * Built by {@link #forward} or {@link #backward}, which reject operands that do not fit, and passed to
 * {@link flux2.tensor.Backend#attention} and {@link flux2.tensor.Backend#attentionBackward}.
 *
 * @param scale  multiplier of q.k
 * @param causal query i sees keys j <= i + (lk - lq)
 */
public record AttentionDims(int batch, int heads, int kvHeads, int lq, int lk, int d, int dv, float scale, boolean causal) {

    /** The forward call's sizes; out is [batch, heads, lq, dv] ({@link #outShape}), lse [batch, heads, lq]. */
    public static AttentionDims forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask) {
        return of("attention", spec, q, k, v, keyMask);
    }

    /**
     * The backward call's sizes, with the forward's out and lse and the incoming gradient dOut checked against
     * them; dq, dk and dv have the shapes of q, k and v.
     */
    public static AttentionDims backward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask,
                                         Tensor out, Tensor lse, Tensor dOut) {
        AttentionDims s = of("attentionBackward", spec, q, k, v, keyMask);
        expect("out", out, s.outShape());
        if (lse == null) throw new IllegalArgumentException("attentionBackward needs the lse written by the forward pass");
        expect("lse", lse, s.lseShape());
        expect("dOut", dOut, s.outShape());
        return s;
    }

    private static AttentionDims of(String op, AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4)
            throw new IllegalArgumentException(op + ": q, k, v must be [B, H, L, D], got q " + shape(q) + ", k "
                    + shape(k) + ", v " + shape(v));
        int b = q.size(0), h = q.size(1), lq = q.size(2), d = q.size(3);
        int hkv = k.size(1), lk = k.size(2), dv = v.size(3);
        if (k.size(0) != b || v.size(0) != b || v.size(1) != hkv || v.size(2) != lk || k.size(3) != d)
            throw new IllegalArgumentException(op + ": q " + shape(q) + " needs k [" + b + ", Hkv, Lk, " + d
                    + "] and v [" + b + ", Hkv, Lk, Dv], got k " + shape(k) + ", v " + shape(v));
        if (hkv == 0 ? h != 0 : h % hkv != 0)
            throw new IllegalArgumentException(op + ": query heads " + h + " must be a multiple of key/value heads "
                    + hkv + " (q " + shape(q) + ", k " + shape(k) + ")");
        for (Tensor t : new Tensor[]{q, k, v})
            if (!t.dtype().isFloating())
                throw new IllegalArgumentException(op + ": q, k, v must be floating point, got " + t.dtype());
        if (mask != null) {
            if (mask.dtype() != DType.BOOL && mask.dtype() != DType.U8)
                throw new IllegalArgumentException(op + ": keyMask must be BOOL or U8, got " + mask.dtype());
            if (mask.rank() != 2 || mask.size(0) != b || mask.size(1) != lk)
                throw new IllegalArgumentException(op + ": keyMask must be [" + b + ", " + lk + "], got " + shape(mask));
        }
        double scale = spec.scale();
        if (!Double.isFinite(scale)) throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
        return new AttentionDims(b, h, hkv, lq, lk, d, dv, (float) scale, spec.causal());
    }

    private static void expect(String name, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException("attention: " + name + " must be " + Arrays.toString(shape) + ", got " + shape(t));
        if (!t.dtype().isFloating())
            throw new IllegalArgumentException("attention: " + name + " must be floating point, got " + t.dtype());
    }

    private static String shape(Tensor t) { return Arrays.toString(t.shape()); }

    /** Shape of out and dOut: [batch, heads, lq, dv]. */
    public int[] outShape() { return new int[]{batch, heads, lq, dv}; }

    /** Shape of lse: [batch, heads, lq]. */
    public int[] lseShape() { return new int[]{batch, heads, lq}; }

    /** Query heads per key/value head. */
    public int group() { return heads / kvHeads; }

    /** Causal alignment: query i sees keys j <= i + shift. */
    public int shift() { return lk - lq; }

    /** Exclusive end of the keys that any of the queries [q0, q0 + nq) may see. */
    public int keyEnd(int q0, int nq) {
        if (!causal) return lk;
        long end = (long) q0 + nq + shift();
        return (int) Math.max(0, Math.min(lk, end));
    }

    /** First query that sees key k0 (or lq if none does). */
    public int firstQuery(int k0) {
        if (!causal) return 0;
        long first = (long) k0 - shift();
        return (int) Math.max(0, Math.min(lq, first));
    }
}
