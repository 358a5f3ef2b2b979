package flux2.gpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.ops.AttentionDims;

/**
 * Fused attention forward and backward as launches of attention.cl on dense F32 operands: one work-item per
 * query (or key) row, or with the tiled variant and a head dimension that is a multiple of 8, each row split
 * over 8 work-items and 16 rows per work-group. The backward first computes the rows' dot(dOut, out).
 */
final class GpuAttention {
    /** Largest head dimension of the kernels' per-row arrays. */
    private static final int DMAX = 256;

    private GpuAttention() {}

    /** This device's limits, beyond the op's contract: a head dimension up to 256, shared by k and v. */
    private static void supported(String op, AttentionDims d) {
        if (d.dv() != d.d())
            throw new IllegalArgumentException(op + ": the GPU kernels need v's head dimension " + d.dv() + " to equal q's and k's " + d.d());
        if (d.d() > DMAX) throw new IllegalArgumentException(op + ": head dimension " + d.d() + " exceeds the GPU kernels' " + DMAX);
    }

    /** Whether to run the kernels that split each row over 8 work-items (tiled variant, d a multiple of 8). */
    private static boolean split(GpuLaunch l, AttentionDims d) { return l.tiled() && d.d() % 8 == 0; }

    private static int local(GpuLaunch l) { return Math.min(64, Integer.highestOneBit(Math.max(1, l.dev.maxLocalSize()))); }

    /** Launches one kernel over {@code rows} rows of each of {@code planes} (batch x heads) planes. */
    private static void launch(GpuLaunch l, String kernel, boolean split, int rows, long planes, KernelArgs a) {
        if (split) l.launch(kernel + "_split", new long[]{(rows + 15) / 16 * 128L, planes}, new long[]{128, 1}, a);
        else {
            int local = local(l);
            l.launch(kernel, new long[]{GpuLaunch.roundUp(rows, local), planes}, new long[]{local, 1}, a);
        }
    }

    private static KernelArgs head(AttentionDims d) {
        return new KernelArgs().i(d.heads()).i(d.kvHeads()).i(d.lq()).i(d.lk()).i(d.d()).f(d.scale()).i(d.causal() ? 1 : 0);
    }

    /** A dense U8 view of the key mask (BOOL shares its bytes) and its present flag. */
    private static void mask(GpuLaunch l, GpuScratch s, KernelArgs a, Tensor mask) {
        if (mask == null) a.tensor(0, 0).i(0);
        else l.operand(a, "attention", l.dense(s, mask)).i(1);
    }

    static void forward(GpuLaunch l, AttentionDims d, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse) {
        supported("attention", d);
        if (out.numel() == 0 && (lse == null || lse.numel() == 0)) return;
        try (GpuScratch s = l.scratch()) {
            Tensor qd = l.denseF32(s, q), kd = l.denseF32(s, k), vd = l.denseF32(s, v);
            Tensor od = l.outF32(s, out), ld = lse == null ? null : l.outF32(s, lse);
            KernelArgs a = head(d);
            l.operand(a, "attention", qd);
            l.operand(a, "attention", kd);
            l.operand(a, "attention", vd);
            mask(l, s, a, mask);
            l.operand(a, "attention", od);
            if (ld == null) a.tensor(0, 0).i(0);
            else l.operand(a, "attention", ld).i(1);
            launch(l, "attention_fwd", split(l, d), d.lq(), (long) d.batch() * d.heads(), a);
            l.finishOut(od, out);
            if (ld != null) l.finishOut(ld, lse);
        }
    }

    static void backward(GpuLaunch l, AttentionDims d, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse,
                         Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        supported("attentionBackward", d);
        try (GpuScratch s = l.scratch()) {
            Tensor qd = l.denseF32(s, q), kd = l.denseF32(s, k), vd = l.denseF32(s, v), od = l.denseF32(s, out);
            Tensor ld = l.denseF32(s, lse), gd = l.denseF32(s, dOut);
            Tensor delta = s.tensor(DType.F32, d.batch(), d.heads(), d.lq());
            long rows = (long) d.batch() * d.heads() * d.lq();
            KernelArgs da = new KernelArgs().l(rows).i(d.d());
            l.operand(da, "attentionBackward", od);
            l.operand(da, "attentionBackward", gd);
            l.operand(da, "attentionBackward", delta);
            l.launch1("attention_bwd_delta", rows, da);
            Tensor dqd = l.outF32(s, dq), dkd = l.outF32(s, dk), dvd = l.outF32(s, dv);
            boolean split = split(l, d);
            KernelArgs a = inputs(l, s, d, qd, kd, vd, mask, ld, delta, gd);
            l.operand(a, "attentionBackward", dqd);
            launch(l, "attention_bwd_dq", split, d.lq(), (long) d.batch() * d.heads(), a);
            KernelArgs b = inputs(l, s, d, qd, kd, vd, mask, ld, delta, gd);
            l.operand(b, "attentionBackward", dkd);
            l.operand(b, "attentionBackward", dvd);
            launch(l, "attention_bwd_dkv", split, d.lk(), (long) d.batch() * d.kvHeads(), b);
            l.finishOut(dqd, dq);
            l.finishOut(dkd, dk);
            l.finishOut(dvd, dv);
        }
    }

    /** The arguments the dq and dkv kernels share: sizes, q, k, v, mask, lse, delta and dOut. */
    private static KernelArgs inputs(GpuLaunch l, GpuScratch s, AttentionDims d, Tensor q, Tensor k, Tensor v, Tensor mask,
                                     Tensor lse, Tensor delta, Tensor dOut) {
        KernelArgs a = head(d);
        for (Tensor t : new Tensor[]{q, k, v}) l.operand(a, "attentionBackward", t);
        mask(l, s, a, mask);
        for (Tensor t : new Tensor[]{lse, delta, dOut}) l.operand(a, "attentionBackward", t);
        return a;
    }
}
