package flux2.tensor.cpu;

import static flux2.tensor.cpu.BlockGemm.LANES;
import static flux2.tensor.cpu.BlockGemm.SPECIES;
import static flux2.tensor.cpu.AttentionForward.BK;
import static flux2.tensor.cpu.AttentionForward.BQ;

import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.AttentionDims;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Attention backward in the FlashAttention-2 form: probabilities are recomputed block by block from q, k and
 * lse; with D_i = rowsum(dO * O), dV += P^T dO, dP = dO V^T, dS = P * (dP - D_i) * scale, dK += dS^T Q and
 * dQ += dS K.
 *
 * <p>Two schedules, both writing every output row from exactly one thread:
 * <ul>
 * <li>{@link Plan#FUSED}: one task per (batch, kv head) owns dk and dv of that head and dq of all query heads
 *     of its group, so one pass computes all three gradients. Used when there are enough such tasks.</li>
 * <li>{@link Plan#SPLIT}: tasks per (batch, kv head, key block) compute dk and dv, then tasks per
 *     (batch, head, query block) compute dq. This recomputes the probabilities (about 7 block products
 *     instead of 5) but keeps all threads busy when batch x kv heads is small.</li>
 * </ul>
 */
final class AttentionBackward {
    /** Work schedule of the backward pass. */
    enum Plan { AUTO, FUSED, SPLIT }

    private AttentionBackward() {}

    /** All tensors F32 with unit stride on the last axis (lse: any strides); dq, dk, dv are overwritten. */
    static void run(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse, Tensor dOut,
                    Tensor dq, Tensor dk, Tensor dv, Plan plan) {
        if (s.batch() == 0) return;
        Ops ops = new Ops(s, q, k, v, mask, lse, dOut, dq, dk, dv, rowDots(s, dOut, out));
        int kBlocks = (s.lk() + BK - 1) / BK, qBlocks = (s.lq() + BQ - 1) / BQ;
        int heads = s.batch() * s.kvHeads();
        if (choose(plan, heads) == Plan.FUSED) {
            Parallel.forRange(heads, 1, (w, t0, t1) -> {
                KeyBlockWorker wk = new KeyBlockWorker(ops, true);
                for (long t = t0; t < t1; t++) {
                    int b = (int) (t / s.kvHeads()), hk = (int) (t % s.kvHeads());
                    for (int h = hk * s.group(); h < (hk + 1) * s.group(); h++) ops.dq.zero(b, h, s.lq(), wk.zeros);
                    for (int kb = 0; kb < kBlocks; kb++) wk.block(b, hk, kb);
                }
            });
            return;
        }
        Parallel.forRange((long) heads * kBlocks, 1, (w, t0, t1) -> {
            KeyBlockWorker wk = new KeyBlockWorker(ops, false);
            for (long t = t0; t < t1; t++) {
                int bh = (int) (t / kBlocks);
                wk.block(bh / s.kvHeads(), bh % s.kvHeads(), AttentionForward.zigzag((int) (t % kBlocks), kBlocks));
            }
        });
        Parallel.forRange((long) s.batch() * s.heads() * qBlocks, 1, (w, t0, t1) -> {
            QueryBlockWorker wk = new QueryBlockWorker(ops);
            for (long t = t0; t < t1; t++) {
                int bh = (int) (t / qBlocks);
                wk.block(bh / s.heads(), bh % s.heads(), AttentionForward.zigzag((int) (t % qBlocks), qBlocks));
            }
        });
    }

    /**
     * FUSED unless its thread utilisation (tasks spread over whole rounds of threads) falls below 5/7, the
     * relative cost of SPLIT. Inside a parallel region everything runs on one thread, so FUSED.
     */
    static Plan choose(Plan plan, int tasks) {
        if (plan != Plan.AUTO) return plan;
        int t = Parallel.inParallelRegion() ? 1 : Parallel.threads();
        if (t <= 1 || tasks == 0) return Plan.FUSED;
        long rounds = (tasks + t - 1) / t;
        return tasks * 7L >= 5L * t * rounds ? Plan.FUSED : Plan.SPLIT;
    }

    /** D_i = sum_x dOut[b, h, i, x] * out[b, h, i, x] for every query row, flat over (b, h, i). */
    private static float[] rowDots(AttentionDims s, Tensor dOut, Tensor out) {
        float[] di = new float[Math.toIntExact((long) s.batch() * s.heads() * s.lq())];
        HeadRows g = new HeadRows(dOut), o = new HeadRows(out);
        int n = s.dv();
        Parallel.forRange((long) s.batch() * s.heads(), 1, (w, t0, t1) -> {
            float[] gr = new float[BQ * n], or = new float[BQ * n];
            for (long t = t0; t < t1; t++) {
                int b = (int) (t / s.heads()), h = (int) (t % s.heads());
                for (int q0 = 0; q0 < s.lq(); q0 += BQ) {
                    int nq = Math.min(BQ, s.lq() - q0);
                    g.load(b, h, q0, nq, gr, n);
                    o.load(b, h, q0, nq, or, n);
                    for (int i = 0; i < nq; i++) {
                        double acc = 0;
                        for (int x = i * n, e = x + n; x < e; x++) acc += (double) gr[x] * or[x];
                        di[(int) (t * s.lq()) + q0 + i] = (float) acc;
                    }
                }
            }
        });
        return di;
    }

    /** The operands of one backward call. */
    private static final class Ops {
        final AttentionDims s;
        final HeadRows q, k, v, dOut, dq, dk, dv;
        final KeyMaskView mask;
        final MemorySegment lseSeg;
        final long lseBase, lseSb, lseSh, lseSl;
        final float[] di;
        final int dp, dvp;

        Ops(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor lse, Tensor dOut,
            Tensor dq, Tensor dk, Tensor dv, float[] di) {
            this.s = s;
            this.q = new HeadRows(q);
            this.k = new HeadRows(k);
            this.v = new HeadRows(v);
            this.dOut = new HeadRows(dOut);
            this.dq = new HeadRows(dq);
            this.dk = new HeadRows(dk);
            this.dv = new HeadRows(dv);
            this.mask = mask == null ? null : new KeyMaskView(mask);
            lseSeg = lse.segment();
            lseBase = lse.offset();
            lseSb = lse.stride(0);
            lseSh = lse.stride(1);
            lseSl = lse.stride(2);
            this.di = di;
            dp = BlockGemm.padded(s.d());
            dvp = BlockGemm.padded(s.dv());
        }

        float lse(int b, int h, int i) {
            return lseSeg.get(ValueLayout.JAVA_FLOAT_UNALIGNED, (lseBase + b * lseSb + h * lseSh + i * lseSl) * Float.BYTES);
        }

        float di(int b, int h, int i) { return di[(int) (((long) b * s.heads() + h) * s.lq() + i)]; }
    }

    /**
     * dk and dv of one key block (and, when fused, this block's share of dq): loops over every query head of
     * the group and every query block that sees the keys. Layout: scores [BQ x BK] = Q K^T.
     */
    private static final class KeyBlockWorker {
        private final Ops o;
        private final AttentionDims s;
        private final boolean withDq;
        private final float[] kt, vt, kr, qr, gr, sp, ds, dkAcc, dvAcc, dqb, row, lse, di;
        private final boolean[] keep = new boolean[BK];
        final float[] zeros;

        KeyBlockWorker(Ops o, boolean withDq) {
            this.o = o;
            this.s = o.s;
            this.withDq = withDq;
            kt = new float[s.d() * BK];      // scaled keys, transposed: D x BK
            vt = new float[s.dv() * BK];     // values, transposed: Dv x BK
            kr = new float[withDq ? BK * o.dp : 0]; // key rows, zero-padded: BK x dp
            qr = new float[BQ * o.dp];       // query rows, zero-padded: BQ x dp
            gr = new float[BQ * o.dvp];      // dOut rows, zero-padded: BQ x dvp
            sp = new float[BQ * BK];         // scores, then probabilities
            ds = new float[BQ * BK];         // dP, then dS
            dkAcc = new float[BK * o.dp];
            dvAcc = new float[BK * o.dvp];
            dqb = new float[withDq ? BQ * o.dp : 0];
            row = new float[Math.max(s.d(), s.dv())];
            lse = new float[BQ];
            di = new float[BQ];
            zeros = new float[s.d()];
        }

        void block(int b, int hk, int kb) {
            int k0 = kb * BK, nk = Math.min(BK, s.lk() - k0), nkp = BlockGemm.padded(nk);
            Arrays.fill(dkAcc, 0, nk * o.dp, 0f);
            Arrays.fill(dvAcc, 0, nk * o.dvp, 0f);
            boolean any = o.mask == null || o.mask.load(b, k0, nk, keep);
            if (any) {
                o.k.loadTransposed(b, hk, k0, nk, nkp, kt, BK, s.scale(), row);
                o.v.loadTransposed(b, hk, k0, nk, nkp, vt, BK, 1f, row);
                if (withDq) o.k.load(b, hk, k0, nk, kr, o.dp);
                int qStart = s.firstQuery(k0) / BQ * BQ;
                for (int h = hk * s.group(); h < (hk + 1) * s.group(); h++)
                    for (int q0 = qStart; q0 < s.lq(); q0 += BQ) pair(b, h, q0, Math.min(BQ, s.lq() - q0), k0, nk, nkp);
            }
            o.dk.store(b, hk, k0, nk, dkAcc, o.dp);
            o.dv.store(b, hk, k0, nk, dvAcc, o.dvp);
        }

        private void pair(int b, int h, int q0, int nq, int k0, int nk, int nkp) {
            o.q.load(b, h, q0, nq, qr, o.dp);
            o.dOut.load(b, h, q0, nq, gr, o.dvp);
            for (int i = 0; i < nq; i++) {
                lse[i] = o.lse(b, h, q0 + i);
                di[i] = o.di(b, h, q0 + i);
            }
            BlockGemm.gemm(qr, 0, o.dp, 1, kt, 0, BK, sp, 0, BK, nq, nkp, s.d(), false);
            if (!probabilities(q0, nq, k0, nk, nkp)) return;
            // dV[j, :] += sum_i P[i, j] dO[i, :]
            BlockGemm.gemm(sp, 0, 1, BK, gr, 0, o.dvp, dvAcc, 0, o.dvp, nk, o.dvp, nq, true);
            BlockGemm.gemm(gr, 0, o.dvp, 1, vt, 0, BK, ds, 0, BK, nq, nkp, s.dv(), false);
            FloatVector sc = FloatVector.broadcast(SPECIES, s.scale());
            for (int i = 0; i < nq; i++) {
                FloatVector d = FloatVector.broadcast(SPECIES, di[i]);
                for (int x = i * BK, e = x + nkp; x < e; x += LANES) {
                    FloatVector p = FloatVector.fromArray(SPECIES, sp, x);
                    FloatVector.fromArray(SPECIES, ds, x).sub(d).mul(p).mul(sc).intoArray(ds, x);
                }
            }
            // dK[j, :] += sum_i dS[i, j] Q[i, :]
            BlockGemm.gemm(ds, 0, 1, BK, qr, 0, o.dp, dkAcc, 0, o.dp, nk, o.dp, nq, true);
            if (withDq) {
                o.dq.load(b, h, q0, nq, dqb, o.dp);
                BlockGemm.gemm(ds, 0, BK, 1, kr, 0, o.dp, dqb, 0, o.dp, nq, o.dp, nk, true);
                o.dq.store(b, h, q0, nq, dqb, o.dp);
            }
        }

        /** sp[i, j] = exp(score - lse_i), 0 where masked, causal-hidden, padded or the row saw no key. */
        private boolean probabilities(int q0, int nq, int k0, int nk, int nkp) {
            boolean any = false;
            for (int i = 0; i < nq; i++) {
                int r = i * BK;
                float ls = lse[i];
                // keys k0 + j visible to query q0 + i: j <= q0 + i + shift - k0
                long lastSeen = s.causal() ? (long) q0 + i + s.shift() - k0 : nk - 1;
                int visible = (int) Math.max(0, Math.min(nk, lastSeen + 1));
                if (ls == Float.NEGATIVE_INFINITY || visible == 0) {
                    Arrays.fill(sp, r, r + nkp, 0f);
                    continue;
                }
                any = true;
                FloatVector lv = FloatVector.broadcast(SPECIES, ls);
                for (int x = r, e = r + nkp; x < e; x += LANES)
                    ExpLog.exp(FloatVector.fromArray(SPECIES, sp, x).sub(lv)).intoArray(sp, x);
                if (o.mask != null) for (int j = 0; j < visible; j++) if (!keep[j]) sp[r + j] = 0f;
                Arrays.fill(sp, r + visible, r + nkp, 0f);
            }
            return any;
        }
    }

    /**
     * dq of one query block (SPLIT plan): walks the key blocks it sees. Layout: transposed scores
     * [BK x BQ] = K Q^T, so the query block is transposed once and key/value blocks are row copies.
     */
    private static final class QueryBlockWorker {
        private final Ops o;
        private final AttentionDims s;
        private final float[] qt, gt, kr, vr, sp, ds, dqAcc, row, lse, di;
        private final boolean[] keep = new boolean[BK];

        QueryBlockWorker(Ops o) {
            this.o = o;
            this.s = o.s;
            qt = new float[s.d() * BQ];      // scaled queries, transposed: D x BQ
            gt = new float[s.dv() * BQ];     // dOut, transposed: Dv x BQ
            kr = new float[BK * o.dp];       // key rows, zero-padded
            vr = new float[BK * s.dv()];     // value rows
            sp = new float[BK * BQ];         // transposed scores, then probabilities
            ds = new float[BK * BQ];         // transposed dP, then dS
            dqAcc = new float[BQ * o.dp];
            row = new float[Math.max(s.d(), s.dv())];
            lse = new float[BQ];
            di = new float[BQ];
        }

        void block(int b, int h, int qb) {
            int q0 = qb * BQ, nq = Math.min(BQ, s.lq() - q0), nqp = BlockGemm.padded(nq);
            int hk = h / s.group();
            o.q.loadTransposed(b, h, q0, nq, nqp, qt, BQ, s.scale(), row);
            o.dOut.loadTransposed(b, h, q0, nq, nqp, gt, BQ, 1f, row);
            // A row that saw no key has lse -inf; +inf makes its probabilities exp(-inf) = 0.
            Arrays.fill(lse, Float.POSITIVE_INFINITY);
            Arrays.fill(di, 0f);
            for (int i = 0; i < nq; i++) {
                float ls = o.lse(b, h, q0 + i);
                lse[i] = ls == Float.NEGATIVE_INFINITY ? Float.POSITIVE_INFINITY : ls;
                di[i] = o.di(b, h, q0 + i);
            }
            Arrays.fill(dqAcc, 0, nq * o.dp, 0f);
            int kEnd = s.keyEnd(q0, nq);
            FloatVector sc = FloatVector.broadcast(SPECIES, s.scale());
            for (int k0 = 0; k0 < kEnd; k0 += BK) {
                int nk = Math.min(BK, kEnd - k0);
                if (o.mask != null && !o.mask.load(b, k0, nk, keep)) continue;
                o.k.load(b, hk, k0, nk, kr, o.dp);
                o.v.load(b, hk, k0, nk, vr, s.dv());
                BlockGemm.gemm(kr, 0, o.dp, 1, qt, 0, BQ, sp, 0, BQ, nk, nqp, s.d(), false);
                BlockGemm.gemm(vr, 0, s.dv(), 1, gt, 0, BQ, ds, 0, BQ, nk, nqp, s.dv(), false);
                for (int j = 0; j < nk; j++) {
                    int r = j * BQ;
                    if (o.mask != null && !keep[j]) {
                        Arrays.fill(ds, r, r + nqp, 0f);
                        continue;
                    }
                    for (int c = 0; c < nqp; c += LANES) {
                        FloatVector p = ExpLog.exp(FloatVector.fromArray(SPECIES, sp, r + c)
                                .sub(FloatVector.fromArray(SPECIES, lse, c)));
                        FloatVector.fromArray(SPECIES, ds, r + c).sub(FloatVector.fromArray(SPECIES, di, c))
                                .mul(p).mul(sc).intoArray(ds, r + c);
                    }
                    if (s.causal()) {
                        // key k0+j is seen by queries i with q0 + i + shift >= k0 + j
                        long firstSeen = (long) k0 + j - s.shift() - q0;
                        if (firstSeen > 0) Arrays.fill(ds, r, r + (int) Math.min(nqp, firstSeen), 0f);
                    }
                }
                // dQ[i, :] += sum_j dS[i, j] K[j, :], reading dS from its transposed block.
                BlockGemm.gemm(ds, 0, 1, BQ, kr, 0, o.dp, dqAcc, 0, o.dp, nq, o.dp, nk, true);
            }
            o.dq.store(b, h, q0, nq, dqAcc, o.dp);
        }
    }
}
