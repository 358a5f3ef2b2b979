package flux2.tensor.cpu;

import static flux2.tensor.cpu.BlockGemm.LANES;
import static flux2.tensor.cpu.BlockGemm.SPECIES;

import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.ops.AttentionDims;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Attention forward with online softmax: one task per (batch, head, block of queries) walks the blocks of
 * keys keeping a running max, sum and output per query, so no Lq x Lk matrix ever exists.
 *
 * <p>Scores are computed transposed (keys x queries, S^T = K Q^T) so that the query block is transposed once
 * per task and the key and value blocks are plain row copies; the softmax statistics are then vectors over
 * queries. Scratch per thread is O(block^2 + block * D) floats.
 */
final class AttentionForward {
    static final int BQ = 64, BK = 64;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private AttentionForward() {}

    /** out and lse (lse may be null) must be F32; q, k, v, out must have unit stride on the last axis. */
    static void run(AttentionDims s, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor out, Tensor lse) {
        if (s.batch() == 0 || s.heads() == 0 || s.lq() == 0) return;
        HeadRows qr = new HeadRows(q), kr = new HeadRows(k), vr = new HeadRows(v), or = new HeadRows(out);
        KeyMaskView mv = mask == null ? null : new KeyMaskView(mask);
        int qBlocks = (s.lq() + BQ - 1) / BQ;
        long tasks = (long) s.batch() * s.heads() * qBlocks;
        Parallel.forRange(tasks, 1, (w, t0, t1) -> {
            Worker wk = new Worker(s, qr, kr, vr, mv, or, lse);
            for (long t = t0; t < t1; t++) {
                int bh = (int) (t / qBlocks);
                wk.block(bh / s.heads(), bh % s.heads(), zigzag((int) (t % qBlocks), qBlocks));
            }
        });
    }

    /**
     * Visits blocks 0, n-1, 1, n-2, ...: under a causal mask late query blocks cost more, and contiguous
     * ranges of this order give each thread an even mix.
     */
    static int zigzag(int t, int n) { return (t & 1) == 0 ? t >> 1 : n - 1 - (t >> 1); }

    /** One thread's scratch and the per-block computation. */
    private static final class Worker {
        private final AttentionDims s;
        private final HeadRows q, k, v, out;
        private final KeyMaskView mask;
        private final Tensor lse;
        private final int dvp;
        private final float[] qt, kb, vb, st, acc, m, l, alpha, row;
        private final boolean[] keep = new boolean[BK];

        Worker(AttentionDims s, HeadRows q, HeadRows k, HeadRows v, KeyMaskView mask, HeadRows out, Tensor lse) {
            this.s = s;
            this.q = q;
            this.k = k;
            this.v = v;
            this.mask = mask;
            this.out = out;
            this.lse = lse;
            dvp = BlockGemm.padded(s.dv());
            qt = new float[s.d() * BQ];       // scaled query block, transposed: D x BQ
            kb = new float[BK * s.d()];       // key rows: BK x D
            vb = new float[BK * dvp];         // value rows, zero-padded: BK x dvp
            st = new float[BK * BQ];          // scores, then probabilities: keys x queries
            acc = new float[BQ * dvp];        // unnormalised output rows
            m = new float[BQ];
            l = new float[BQ];
            alpha = new float[BQ];
            row = new float[Math.max(s.d(), s.dv())];
        }

        void block(int b, int h, int qb) {
            int q0 = qb * BQ, nq = Math.min(BQ, s.lq() - q0), nqp = BlockGemm.padded(nq);
            int hk = h / s.group();
            q.loadTransposed(b, h, q0, nq, nqp, qt, BQ, s.scale(), row);
            Arrays.fill(m, NEG_INF);
            Arrays.fill(l, 0f);
            Arrays.fill(acc, 0, nq * dvp, 0f);
            int kEnd = s.keyEnd(q0, nq);
            for (int k0 = 0; k0 < kEnd; k0 += BK) {
                int nk = Math.min(BK, kEnd - k0);
                if (mask != null && !mask.load(b, k0, nk, keep)) continue;
                k.load(b, hk, k0, nk, kb, s.d());
                v.load(b, hk, k0, nk, vb, dvp);
                BlockGemm.gemm(kb, 0, s.d(), 1, qt, 0, BQ, st, 0, BQ, nk, nqp, s.d(), false);
                maskScores(b, q0, nq, nqp, k0, nk);
                softmaxStep(nk, nqp);
                rescale(nq);
                // acc[i, :] += sum_j P[i, j] V[j, :], reading P from the transposed score block.
                BlockGemm.gemm(st, 0, 1, BQ, vb, 0, dvp, acc, 0, dvp, nq, dvp, nk, true);
            }
            finish(b, h, q0, nq);
        }

        /** Sets to -inf the scores of masked keys, of keys after a query's causal limit, and of padding. */
        private void maskScores(int b, int q0, int nq, int nqp, int k0, int nk) {
            for (int j = 0; j < nk; j++) {
                int o = j * BQ;
                if (mask != null && !keep[j]) {
                    Arrays.fill(st, o, o + nqp, NEG_INF);
                    continue;
                }
                if (s.causal()) {
                    // key k0+j is seen by queries i with q0 + i + shift >= k0 + j
                    long firstSeen = (long) k0 + j - s.shift() - q0;
                    if (firstSeen > 0) Arrays.fill(st, o, o + (int) Math.min(nqp, firstSeen), NEG_INF);
                }
                if (nqp > nq) Arrays.fill(st, o + nq, o + nqp, NEG_INF);
            }
        }

        /** Updates the running max and sum per query and turns the scores into exp(score - max). */
        private void softmaxStep(int nk, int nqp) {
            FloatVector negInf = FloatVector.broadcast(SPECIES, NEG_INF);
            FloatVector zero = FloatVector.zero(SPECIES);
            for (int c = 0; c < nqp; c += LANES) {
                FloatVector mOld = FloatVector.fromArray(SPECIES, m, c);
                FloatVector mx = mOld;
                for (int j = 0, o = c; j < nk; j++, o += BQ) mx = mx.max(FloatVector.fromArray(SPECIES, st, o));
                // A query with no visible key so far keeps max -inf; subtracting 0 instead avoids inf - inf.
                FloatVector ref = mx.blend(zero, mx.compare(VectorOperators.EQ, negInf));
                FloatVector sum = zero;
                for (int j = 0, o = c; j < nk; j++, o += BQ) {
                    FloatVector p = ExpLog.exp(FloatVector.fromArray(SPECIES, st, o).sub(ref));
                    p.intoArray(st, o);
                    sum = sum.add(p);
                }
                FloatVector a = ExpLog.exp(mOld.sub(ref));
                a.intoArray(alpha, c);
                FloatVector.fromArray(SPECIES, l, c).fma(a, sum).intoArray(l, c);
                mx.intoArray(m, c);
            }
        }

        /** acc rows *= alpha (the correction for a grown running max). */
        private void rescale(int nq) {
            for (int i = 0; i < nq; i++) {
                float a = alpha[i];
                if (a == 1f) continue;
                FloatVector av = FloatVector.broadcast(SPECIES, a);
                for (int x = i * dvp, e = x + dvp; x < e; x += LANES)
                    FloatVector.fromArray(SPECIES, acc, x).mul(av).intoArray(acc, x);
            }
        }

        private void finish(int b, int h, int q0, int nq) {
            for (int i = 0; i < nq; i++) {
                float inv = l[i] > 0 ? 1f / l[i] : 0f;
                FloatVector iv = FloatVector.broadcast(SPECIES, inv);
                for (int x = i * dvp, e = x + dvp; x < e; x += LANES)
                    FloatVector.fromArray(SPECIES, acc, x).mul(iv).intoArray(acc, x);
            }
            out.store(b, h, q0, nq, acc, dvp);
            if (lse != null) {
                MemorySegment seg = lse.segment();
                long base = lse.offset() + b * lse.stride(0) + h * lse.stride(1), sl = lse.stride(2);
                for (int i = 0; i < nq; i++) {
                    float val = l[i] > 0 ? (float) (m[i] + Math.log(l[i])) : NEG_INF;
                    seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, (base + (q0 + i) * sl) * Float.BYTES, val);
                }
            }
        }
    }
}
