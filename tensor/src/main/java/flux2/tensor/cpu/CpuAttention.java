package flux2.tensor.cpu;

import flux2.tensor.AttentionSpec;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fused scaled-dot-product attention on the CPU (see {@link flux2.tensor.Backend#attention}): checks shapes,
 * brings operands to F32 with a unit-stride last axis (views such as a permuted [B, L, H, D] tensor or q/k/v
 * narrowed from a fused qkv tensor are read in place; anything else is copied for the call) and runs
 * {@link AttentionForward} or {@link AttentionBackward}. v may have its own head dim Dv; out, dOut and dv
 * then have Dv columns.
 */
final class CpuAttention {
    private CpuAttention() {}

    static void forward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        AttnDims s = dims(spec, q, k, v, keyMask, "attention");
        expect("out", out, s.batch(), s.heads(), s.lq(), s.dv());
        if (lse != null) expect("lse", lse, s.batch(), s.heads(), s.lq());
        try (Staging st = new Staging()) {
            Tensor o = st.output(out), l = lse == null ? null : st.output(lse);
            AttentionForward.run(s, st.input(q), st.input(k), st.input(v), keyMask, o, l);
            st.writeBack();
        }
    }

    static void backward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse,
                         Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        backward(spec, q, k, v, keyMask, out, lse, dOut, dq, dk, dv, AttentionBackward.Plan.AUTO);
    }

    /** As {@link #backward}, with the work schedule chosen by the caller (tests exercise both). */
    static void backward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse,
                         Tensor dOut, Tensor dq, Tensor dk, Tensor dv, AttentionBackward.Plan plan) {
        AttnDims s = dims(spec, q, k, v, keyMask, "attentionBackward");
        expect("out", out, s.batch(), s.heads(), s.lq(), s.dv());
        if (lse == null) throw new IllegalArgumentException("attentionBackward needs the lse written by the forward pass");
        expect("lse", lse, s.batch(), s.heads(), s.lq());
        expect("dOut", dOut, s.batch(), s.heads(), s.lq(), s.dv());
        expect("dq", dq, q.shape());
        expect("dk", dk, k.shape());
        expect("dv", dv, v.shape());
        try (Staging st = new Staging()) {
            Tensor gq = st.output(dq), gk = st.output(dk), gv = st.output(dv);
            AttentionBackward.run(s, st.input(q), st.input(k), st.input(v), keyMask, st.input(out), st.input(lse),
                    st.input(dOut), gq, gk, gv, plan);
            st.writeBack();
        }
    }

    private static AttnDims dims(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, String op) {
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
        return new AttnDims(b, h, hkv, lq, lk, d, dv, (float) scale, spec.causal());
    }

    private static void expect(String name, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape))
            throw new IllegalArgumentException("attention: " + name + " must be " + Arrays.toString(shape) + ", got " + shape(t));
        if (!t.dtype().isFloating())
            throw new IllegalArgumentException("attention: " + name + " must be floating point, got " + t.dtype());
    }

    private static String shape(Tensor t) { return Arrays.toString(t.shape()); }

    /** F32 stand-ins, for this call only, of operands the kernels cannot address directly. */
    private static final class Staging implements AutoCloseable {
        private TensorArena arena;
        private final List<Tensor[]> pending = new ArrayList<>();

        private static boolean direct(Tensor t) {
            return t.dtype() == DType.F32 && (t.rank() < 4 || t.size(3) <= 1 || t.stride(3) == 1);
        }

        private Tensor temp(Tensor like) {
            if (arena == null) arena = TensorArena.create("attention-staging");
            return Tensor.allocate(like.backend(), DType.F32, like.shape(), arena);
        }

        Tensor input(Tensor t) {
            if (direct(t)) return t;
            Tensor c = temp(t);
            CpuCopy.copy(t, c);
            return c;
        }

        Tensor output(Tensor t) {
            if (direct(t)) return t;
            Tensor c = temp(t);
            pending.add(new Tensor[]{c, t});
            return c;
        }

        void writeBack() {
            for (Tensor[] p : pending) CpuCopy.copy(p[0], p[1]);
        }

        @Override
        public void close() {
            if (arena != null) arena.close();
        }
    }
}
