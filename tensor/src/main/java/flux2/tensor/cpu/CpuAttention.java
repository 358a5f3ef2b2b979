package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.AttentionDims;
import java.util.ArrayList;
import java.util.List;

/**
 * Fused scaled-dot-product attention on the CPU (see {@link flux2.tensor.Backend#attention}): brings operands
 * to F32 with a unit-stride last axis (views such as a permuted [B, L, H, D] tensor or q/k/v narrowed from a
 * fused qkv tensor are read in place; anything else is copied for the call) and runs
 * {@link AttentionForward} or {@link AttentionBackward}. v may have its own head dim Dv; out, dOut and dv
 * then have Dv columns.
 */
final class CpuAttention {
    private CpuAttention() {}

    static void forward(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse) {
        try (Staging st = new Staging()) {
            Tensor o = st.output(out), l = lse == null ? null : st.output(lse);
            AttentionForward.run(s, st.input(q), st.input(k), st.input(v), keyMask, o, l);
            st.writeBack();
        }
    }

    static void backward(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse,
                         Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        backward(s, q, k, v, keyMask, out, lse, dOut, dq, dk, dv, AttentionBackward.Plan.AUTO);
    }

    /** As {@link #backward}, with the work schedule chosen by the caller (tests exercise both). */
    static void backward(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse,
                         Tensor dOut, Tensor dq, Tensor dk, Tensor dv, AttentionBackward.Plan plan) {
        try (Staging st = new Staging()) {
            Tensor gq = st.output(dq), gk = st.output(dk), gv = st.output(dv);
            AttentionBackward.run(s, st.input(q), st.input(k), st.input(v), keyMask, st.input(out), st.input(lse),
                    st.input(dOut), gq, gk, gv, plan);
            st.writeBack();
        }
    }

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
