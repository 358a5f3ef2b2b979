package flux2.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.MemoryStats;
import flux2.tensor.NN;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.ops.AttentionDims;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fused attention forward and backward against a double-precision reference with a materialised softmax. */
class AttentionTest {
    /** FP32 kernels against a double reference: errors are a few ulps of O(1) values times sqrt(L). */
    private static final double TOL = 2e-5;

    private TensorArena arena;
    private int savedThreads;

    @BeforeEach
    void open() {
        arena = TensorArena.open("attention-test");
        savedThreads = Parallel.threads();
    }

    @AfterEach
    void close() {
        Parallel.setThreads(savedThreads);
        arena.close();
    }

    // ---------------------------------------------------------------- cases

    /** How q, k, v are laid out in memory. */
    enum Layout { CONTIGUOUS, PERMUTED, FUSED_QKV }

    /** Which keys are masked. */
    enum MaskKind { NONE, RANDOM, RANDOM_WITH_EMPTY_BATCH }

    record Case(int b, int h, int hkv, int lq, int lk, int d, int dv, boolean causal, MaskKind mask, Layout layout) {}

    @Test
    void smallOddSizes() {
        check(new Case(2, 3, 3, 37, 53, 8, 8, false, MaskKind.NONE, Layout.CONTIGUOUS));
    }

    @Test
    void causalWithMoreQueriesThanKeys() {
        // shift = Lk - Lq = -60: the first 60 queries see no key (zero output, lse -inf).
        check(new Case(1, 2, 2, 130, 70, 16, 16, true, MaskKind.NONE, Layout.CONTIGUOUS));
    }

    @Test
    void causalWithMoreKeysThanQueries() {
        check(new Case(2, 2, 1, 45, 150, 16, 16, true, MaskKind.RANDOM, Layout.CONTIGUOUS));
    }

    @Test
    void groupedQueryWithMaskAndEmptyBatchRow() {
        check(new Case(2, 4, 2, 65, 200, 64, 64, false, MaskKind.RANDOM_WITH_EMPTY_BATCH, Layout.CONTIGUOUS));
    }

    @Test
    void singleKvHeadCausalMaskedPermutedHeadDim128() {
        check(new Case(1, 4, 1, 100, 100, 128, 128, true, MaskKind.RANDOM, Layout.PERMUTED));
    }

    @Test
    void fusedQkvViews() {
        check(new Case(2, 2, 2, 67, 67, 16, 16, false, MaskKind.RANDOM_WITH_EMPTY_BATCH, Layout.FUSED_QKV));
        check(new Case(1, 4, 2, 129, 129, 64, 64, true, MaskKind.NONE, Layout.FUSED_QKV));
    }

    @Test
    void valueHeadDimDiffersFromQueryHeadDim() {
        check(new Case(2, 2, 1, 33, 71, 16, 12, false, MaskKind.RANDOM, Layout.PERMUTED));
    }

    @Test
    void singleQueryDecodeStep() {
        check(new Case(2, 2, 2, 1, 129, 64, 64, true, MaskKind.RANDOM, Layout.CONTIGUOUS));
    }

    /** Forward and backward of one case on 1 and 2 threads, backward with both schedules (AUTO picks one of them). */
    private void check(Case c) {
        Random rnd = new Random(31L * c.hashCode() + 7);
        Tensor[] qkv = inputs(c, rnd);
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        Tensor mask = mask(c, rnd);
        Tensor dOut = TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.dv);
        AttentionSpec spec = new AttentionSpec(1.0 / Math.sqrt(c.d) * 1.3, c.causal);
        Reference ref = reference(c, spec.scale(), q, k, v, mask, dOut);
        for (int threads : new int[]{1, 2}) {
            Parallel.setThreads(threads);
            NN.AttentionResult fwd = NN.attention(spec, q, k, v, mask);
            String what = c + " threads=" + threads;
            assertClose(ref.out, fwd.out(), "out " + what);
            assertLse(ref.lse, fwd.lse(), "lse " + what);
            for (AttentionBackward.Plan plan : new AttentionBackward.Plan[]{AttentionBackward.Plan.FUSED, AttentionBackward.Plan.SPLIT}) {
                Tensor dq = Tensor.full(DType.F32, 7, q.shape()), dk = Tensor.full(DType.F32, 7, k.shape());
                Tensor dv = Tensor.full(DType.F32, 7, v.shape());
                CpuAttention.backward(AttentionDims.backward(spec, q, k, v, mask, fwd.out(), fwd.lse(), dOut), q, k, v, mask,
                        fwd.out(), fwd.lse(), dOut, dq, dk, dv, plan);
                assertClose(ref.dq, dq, "dq " + what + " " + plan);
                assertClose(ref.dk, dk, "dk " + what + " " + plan);
                assertClose(ref.dv, dv, "dv " + what + " " + plan);
            }
        }
    }

    // ---------------------------------------------------------------- layouts and staging

    @Test
    void stagedOperandsBf16InputTransposedKeysAndStridedOutput() {
        Case c = new Case(1, 2, 2, 40, 50, 16, 16, false, MaskKind.RANDOM, Layout.CONTIGUOUS);
        Random rnd = new Random(5);
        Tensor q = TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.d).to(DType.BF16);
        // k stored [B, H, D, L]: its last axis after the transpose has stride L, so it must be staged.
        Tensor k = TestData.normal(rnd, 1.0, c.b, c.hkv, c.d, c.lk).transpose(2, 3);
        Tensor v = TestData.normal(rnd, 1.0, c.b, c.hkv, c.lk, c.dv);
        Tensor mask = mask(c, rnd);
        AttentionSpec spec = AttentionSpec.of(c.d);
        Reference ref = reference(c, spec.scale(), q, k, v, mask, TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.dv));
        // out as a [B, L, H, D] buffer seen as [B, H, L, D] (unit last stride: written in place), lse transposed.
        Tensor outBuf = Tensor.zeros(DType.F32, c.b, c.lq, c.h, c.dv);
        Tensor out = outBuf.permute(0, 2, 1, 3);
        Tensor lse = Tensor.zeros(DType.F32, c.b, c.lq, c.h).permute(0, 2, 1);
        Backends.cpu().attention(AttentionDims.forward(spec, q, k, v, mask), q, k, v, mask, out, lse);
        assertClose(ref.out, out, "permuted out");
        assertLse(ref.lse, lse, "permuted lse");
        // out with a non-unit last stride goes through a temporary and is copied back.
        Tensor outT = Tensor.zeros(DType.F32, c.b, c.h, c.dv, c.lq).transpose(2, 3);
        Backends.cpu().attention(AttentionDims.forward(spec, q, k, v, mask), q, k, v, mask, outT, null);
        assertClose(ref.out, outT, "transposed out");
    }

    @Test
    void badInputsAreRejectedWithShapes() {
        AttentionSpec spec = AttentionSpec.of(8);
        Tensor q = Tensor.zeros(DType.F32, 1, 3, 4, 8), k = Tensor.zeros(DType.F32, 1, 2, 5, 8);
        Tensor v = Tensor.zeros(DType.F32, 1, 2, 5, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> NN.attention(spec, q, k, v, null));
        assertTrue(e.getMessage().contains("multiple"), e.getMessage());
        Tensor q2 = Tensor.zeros(DType.F32, 1, 2, 4, 8);
        Tensor out2 = Tensor.zeros(DType.F32, 1, 2, 4, 8), lse2 = Tensor.zeros(DType.F32, 1, 2, 4);
        Tensor kBad = Tensor.zeros(DType.F32, 1, 2, 5, 7);
        e = assertThrows(IllegalArgumentException.class, () -> NN.attention(spec, q2, kBad, v, null));
        assertTrue(e.getMessage().contains("[1, 2, 5, 7]"), e.getMessage());
        Tensor maskF = Tensor.zeros(DType.F32, 1, 5);
        e = assertThrows(IllegalArgumentException.class, () -> NN.attention(spec, q2, k, v, maskF));
        assertTrue(e.getMessage().contains("BOOL"), e.getMessage());
        Tensor maskShort = Tensor.zeros(DType.BOOL, 1, 4);
        e = assertThrows(IllegalArgumentException.class, () -> NN.attention(spec, q2, k, v, maskShort));
        assertTrue(e.getMessage().contains("[1, 4]"), e.getMessage());
        Tensor outBad = Tensor.zeros(DType.F32, 1, 2, 5, 8);
        e = assertThrows(IllegalArgumentException.class, () -> NN.attentionBackward(spec, q2, k, v, null,
                new NN.AttentionResult(outBad, lse2), out2));
        assertTrue(e.getMessage().contains("out must be [1, 2, 4, 8]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NN.attentionBackward(spec, q2, k, v, null,
                new NN.AttentionResult(out2, null), out2));
        assertTrue(e.getMessage().contains("lse"), e.getMessage());
    }

    @Test
    void backwardScheduleFollowsThreadUtilisation() {
        Parallel.setThreads(1);
        assertEquals(AttentionBackward.Plan.FUSED, AttentionBackward.choose(AttentionBackward.Plan.AUTO, 1));
        Parallel.setThreads(2);
        assertEquals(AttentionBackward.Plan.SPLIT, AttentionBackward.choose(AttentionBackward.Plan.AUTO, 1));
        assertEquals(AttentionBackward.Plan.FUSED, AttentionBackward.choose(AttentionBackward.Plan.AUTO, 2));
        assertEquals(AttentionBackward.Plan.FUSED, AttentionBackward.choose(AttentionBackward.Plan.AUTO, 3)); // 3/4 busy
        Parallel.setThreads(4);
        assertEquals(AttentionBackward.Plan.SPLIT, AttentionBackward.choose(AttentionBackward.Plan.AUTO, 5)); // 5/8 busy
        assertEquals(AttentionBackward.Plan.SPLIT, AttentionBackward.choose(AttentionBackward.Plan.SPLIT, 48), "explicit plan");
        AttentionBackward.Plan[] nested = new AttentionBackward.Plan[1];
        Parallel.forRange(2, 1, (w, s, e) -> { if (w == 0) nested[0] = AttentionBackward.choose(AttentionBackward.Plan.AUTO, 1); });
        assertEquals(AttentionBackward.Plan.FUSED, nested[0], "nested calls run serially");
    }

    // ---------------------------------------------------------------- finite differences

    @Test
    void gradientsMatchFiniteDifferences() {
        Case c = new Case(1, 2, 1, 5, 7, 8, 8, true, MaskKind.RANDOM, Layout.CONTIGUOUS);
        Random rnd = new Random(11);
        Tensor q = TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.d), k = TestData.normal(rnd, 1.0, c.b, c.hkv, c.lk, c.d);
        Tensor v = TestData.normal(rnd, 1.0, c.b, c.hkv, c.lk, c.dv);
        Tensor mask = Tensor.full(DType.BOOL, 1, c.b, c.lk);
        mask.set(0, 0, 2);
        Tensor r = TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.dv);
        AttentionSpec spec = new AttentionSpec(0.4, true);
        NN.AttentionResult fwd = NN.attention(spec, q, k, v, mask);
        Tensor[] g = NN.attentionBackward(spec, q, k, v, mask, fwd, r);
        Tensor[] xs = {q, k, v};
        double eps = 1e-2;
        for (int t = 0; t < 3; t++) {
            Tensor x = xs[t];
            int[] shp = x.shape();
            for (long e = 0; e < x.numel(); e++) {
                int[] idx = Strided.unravel(shp, e);
                double x0 = x.get(idx);
                x.set(x0 + eps, idx);
                double up = loss(spec, q, k, v, mask, r);
                x.set(x0 - eps, idx);
                double down = loss(spec, q, k, v, mask, r);
                x.set(x0, idx);
                double fd = (up - down) / (2 * eps);
                // Central differences on an FP32 loss: truncation O(eps^2) plus rounding O(ulp(loss) / eps).
                assertEquals(fd, g[t].get(idx), 5e-4 + 2e-3 * Math.abs(fd), "d" + "qkv".charAt(t) + " at " + java.util.Arrays.toString(idx));
            }
        }
    }

    private static double loss(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor mask, Tensor r) {
        Tensor out = NN.attention(spec, q, k, v, mask).out();
        double s = 0;
        for (long e = 0; e < out.numel(); e++) {
            int[] idx = Strided.unravel(out.shape(), e);
            s += out.get(idx) * r.get(idx);
        }
        return s;
    }

    // ---------------------------------------------------------------- memory

    @Test
    void longSequenceDoesNotMaterialiseTheScoreMatrix() {
        int l = 4096, d = 64;
        long scoreMatrixBytes = (long) l * l * Float.BYTES;
        long heapBound = scoreMatrixBytes / 16;
        Random rnd = new Random(3);
        Tensor q = TestData.normal(rnd, 1.0, 1, 1, l, d), k = TestData.normal(rnd, 1.0, 1, 1, l, d), v = TestData.normal(rnd, 1.0, 1, 1, l, d);
        Tensor dOut = TestData.normal(rnd, 1.0, 1, 1, l, d);
        AttentionSpec spec = AttentionSpec.of(d);
        Parallel.setThreads(2);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        warmUp(mx, spec, q, k, v, dOut);

        // Off-heap: the call may add exactly its results to the arena. Heap: scratch only, summed over the
        // calling thread and the pool; the least of up to eight calls, because code the JIT has not compiled
        // yet still boxes every vector temporary (methods run once per query block, like the forward's
        // final normalisation, reach C2 only after a few calls of this size).
        NN.AttentionResult fwd = null;
        long fwdHeap = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 8 && fwdHeap > heapBound; attempt++) {
            long[] ids = kernelThreadIds();
            long heapBefore = sum(mx.getThreadAllocatedBytes(ids));
            long live = MemoryStats.liveBytes();
            MemoryStats.resetPeak();
            fwd = NN.attention(spec, q, k, v, null);
            assertEquals((long) l * d * Float.BYTES + (long) l * Float.BYTES, MemoryStats.peakBytes() - live,
                    "forward off-heap growth = out + lse");
            fwdHeap = Math.min(fwdHeap, sum(mx.getThreadAllocatedBytes(ids)) - heapBefore);
        }
        assertTrue(fwdHeap <= heapBound, "forward heap allocation " + fwdHeap + " bytes");

        Tensor[] g = null;
        long bwdHeap = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 8 && bwdHeap > heapBound; attempt++) {
            long[] ids = kernelThreadIds();
            long heapBefore = sum(mx.getThreadAllocatedBytes(ids));
            long live = MemoryStats.liveBytes();
            MemoryStats.resetPeak();
            g = NN.attentionBackward(spec, q, k, v, null, fwd, dOut);
            assertEquals(3L * l * d * Float.BYTES, MemoryStats.peakBytes() - live, "backward off-heap growth = dq + dk + dv");
            bwdHeap = Math.min(bwdHeap, sum(mx.getThreadAllocatedBytes(ids)) - heapBefore);
        }
        assertTrue(bwdHeap <= heapBound, "backward heap allocation " + bwdHeap + " bytes");

        // Spot-check a few rows against the reference so the large case is also right.
        double scale = spec.scale();
        for (int i : new int[]{0, 1777, l - 1}) {
            double[] s = new double[l];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < l; j++) {
                double dot = 0;
                for (int x = 0; x < d; x++) dot += q.get(0, 0, i, x) * k.get(0, 0, j, x);
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            double z = 0;
            for (int j = 0; j < l; j++) z += Math.exp(s[j] - max);
            assertEquals(max + Math.log(z), fwd.lse().get(0, 0, i), TOL * (1 + Math.abs(max)), "lse row " + i);
            for (int x = 0; x < d; x += 9) {
                double o = 0;
                for (int j = 0; j < l; j++) o += Math.exp(s[j] - max) / z * v.get(0, 0, j, x);
                assertEquals(o, fwd.out().get(0, 0, i, x), TOL * (1 + Math.abs(o)), "out row " + i);
            }
        }
        // dv of the last key: every query attends it, so dv[l-1] = sum_i P[i, l-1] dOut[i]; check one column.
        double dvRef = 0;
        for (int i = 0; i < l; i++) {
            double dot = 0;
            for (int x = 0; x < d; x++) dot += q.get(0, 0, i, x) * k.get(0, 0, l - 1, x);
            dvRef += Math.exp(dot * scale - fwd.lse().get(0, 0, i)) * dOut.get(0, 0, i, 3);
        }
        assertEquals(dvRef, g[2].get(0, 0, l - 1, 3), TOL * (1 + Math.abs(dvRef)), "dv of the last key");
    }

    /**
     * Until the JIT has compiled the kernels, every Vector API temporary is a heap object; run a smaller
     * problem (same blocks, same code paths) until calls allocate little more than their scratch.
     */
    private static void warmUp(com.sun.management.ThreadMXBean mx, AttentionSpec spec, Tensor q, Tensor k, Tensor v,
                               Tensor dOut) {
        int n = 4 * AttentionForward.BQ;
        Tensor qs = q.narrow(2, 0, n), ks = k.narrow(2, 0, n), vs = v.narrow(2, 0, n), gs = dOut.narrow(2, 0, n);
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int calm = 0; calm < 3 && System.nanoTime() < deadline; ) {
            long[] ids = kernelThreadIds();
            long before = sum(mx.getThreadAllocatedBytes(ids));
            NN.AttentionResult f = NN.attention(spec, qs, ks, vs, null);
            NN.attentionBackward(spec, qs, ks, vs, null, f, gs);
            calm = sum(mx.getThreadAllocatedBytes(ids)) - before < 2 << 20 ? calm + 1 : 0;
        }
    }

    /** The calling thread and the kernel pool threads. */
    private static long[] kernelThreadIds() {
        List<Long> ids = new ArrayList<>();
        ids.add(Thread.currentThread().threadId());
        for (Thread t : Thread.getAllStackTraces().keySet())
            if (t.getName().startsWith("flux2-cpu-")) ids.add(t.threadId());
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long sum(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x);
        return s;
    }

    // ---------------------------------------------------------------- inputs

    private static Tensor[] inputs(Case c, Random rnd) {
        return switch (c.layout) {
            case CONTIGUOUS -> new Tensor[]{TestData.normal(rnd, 1.0, c.b, c.h, c.lq, c.d),
                    TestData.normal(rnd, 1.0, c.b, c.hkv, c.lk, c.d), TestData.normal(rnd, 1.0, c.b, c.hkv, c.lk, c.dv)};
            case PERMUTED -> new Tensor[]{TestData.normal(rnd, 1.0, c.b, c.lq, c.h, c.d).permute(0, 2, 1, 3),
                    TestData.normal(rnd, 1.0, c.b, c.lk, c.hkv, c.d).permute(0, 2, 1, 3),
                    TestData.normal(rnd, 1.0, c.b, c.lk, c.hkv, c.dv).permute(0, 2, 1, 3)};
            case FUSED_QKV -> {
                if (c.lq != c.lk || c.d != c.dv) throw new IllegalArgumentException("fused qkv needs Lq = Lk, D = Dv");
                Tensor qkv = TestData.normal(rnd, 1.0, c.b, c.lq, c.h + 2 * c.hkv, c.d);
                yield new Tensor[]{qkv.narrow(2, 0, c.h).permute(0, 2, 1, 3),
                        qkv.narrow(2, c.h, c.hkv).permute(0, 2, 1, 3),
                        qkv.narrow(2, c.h + c.hkv, c.hkv).permute(0, 2, 1, 3)};
            }
        };
    }

    private static Tensor mask(Case c, Random rnd) {
        if (c.mask == MaskKind.NONE) return null;
        Tensor m = Tensor.zeros(DType.BOOL, c.b, c.lk);
        for (int b = 0; b < c.b; b++) {
            boolean empty = c.mask == MaskKind.RANDOM_WITH_EMPTY_BATCH && b == c.b - 1;
            for (int j = 0; j < c.lk; j++) if (!empty && rnd.nextDouble() < 0.7) m.set(1, b, j);
        }
        return m;
    }



    // ---------------------------------------------------------------- reference

    /** Expected outputs as flat double arrays in [B, H, L, D] / [B, H, L] order (NaN never occurs). */
    record Reference(double[] out, double[] lse, double[] dq, double[] dk, double[] dv) {}

    private static Reference reference(Case c, double scale, Tensor qt, Tensor kt, Tensor vt, Tensor maskT, Tensor dOutT) {
        int g = c.h / c.hkv;
        double[] q = values(qt), k = values(kt), v = values(vt), dOut = values(dOutT);
        double[] mask = maskT == null ? null : values(maskT);
        double[] out = new double[c.b * c.h * c.lq * c.dv], lse = new double[c.b * c.h * c.lq];
        double[] dq = new double[c.b * c.h * c.lq * c.d], dk = new double[c.b * c.hkv * c.lk * c.d];
        double[] dv = new double[c.b * c.hkv * c.lk * c.dv];
        for (int b = 0; b < c.b; b++)
            for (int h = 0; h < c.h; h++) {
                int hk = h / g;
                for (int i = 0; i < c.lq; i++) {
                    int row = (b * c.h + h) * c.lq + i;
                    double[] p = new double[c.lk];
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < c.lk; j++) {
                        boolean on = (mask == null || mask[b * c.lk + j] != 0) && (!c.causal || j <= i + c.lk - c.lq);
                        if (!on) {
                            p[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        int kr = (b * c.hkv + hk) * c.lk + j;
                        double dot = 0;
                        for (int x = 0; x < c.d; x++) dot += q[row * c.d + x] * k[kr * c.d + x];
                        p[j] = dot * scale;
                        mx = Math.max(mx, p[j]);
                    }
                    if (mx == Double.NEGATIVE_INFINITY) {
                        lse[row] = Double.NEGATIVE_INFINITY;
                        continue; // output and gradients stay zero
                    }
                    double z = 0;
                    for (int j = 0; j < c.lk; j++) z += Math.exp(p[j] - mx);
                    lse[row] = mx + Math.log(z);
                    for (int j = 0; j < c.lk; j++) p[j] = Math.exp(p[j] - mx) / z;
                    double[] dp = new double[c.lk];
                    double di = 0;
                    for (int j = 0; j < c.lk; j++) {
                        if (p[j] == 0) continue;
                        int kr = (b * c.hkv + hk) * c.lk + j;
                        for (int x = 0; x < c.dv; x++) {
                            out[row * c.dv + x] += p[j] * v[kr * c.dv + x];
                            dp[j] += dOut[row * c.dv + x] * v[kr * c.dv + x];
                            dv[kr * c.dv + x] += p[j] * dOut[row * c.dv + x];
                        }
                        di += p[j] * dp[j];
                    }
                    for (int j = 0; j < c.lk; j++) {
                        if (p[j] == 0) continue;
                        int kr = (b * c.hkv + hk) * c.lk + j;
                        double ds = p[j] * (dp[j] - di) * scale;
                        for (int x = 0; x < c.d; x++) {
                            dq[row * c.d + x] += ds * k[kr * c.d + x];
                            dk[kr * c.d + x] += ds * q[row * c.d + x];
                        }
                    }
                }
            }
        return new Reference(out, lse, dq, dk, dv);
    }

    /** All elements of t in row-major order of its (logical) shape. */
    private static double[] values(Tensor t) {
        double[] x = new double[Math.toIntExact(t.numel())];
        int[] shp = t.shape();
        for (int e = 0; e < x.length; e++) x[e] = t.get(Strided.unravel(shp, e));
        return x;
    }

    private static void assertClose(double[] expected, Tensor actual, String what) {
        int[] shp = actual.shape();
        double worst = 0;
        String where = "";
        for (int e = 0; e < expected.length; e++) {
            int[] idx = Strided.unravel(shp, e);
            double a = actual.get(idx), r = expected[e];
            double err = Math.abs(a - r) / (1 + Math.abs(r));
            if (!(err <= worst)) {
                worst = err;
                where = java.util.Arrays.toString(idx) + " expected " + r + " got " + a;
            }
        }
        assertTrue(worst <= TOL, what + ": worst relative error " + worst + " at " + where);
    }

    private static void assertLse(double[] expected, Tensor actual, String what) {
        int[] shp = actual.shape();
        for (int e = 0; e < expected.length; e++) {
            int[] idx = Strided.unravel(shp, e);
            double a = actual.get(idx), r = expected[e];
            if (r == Double.NEGATIVE_INFINITY) assertEquals(Double.NEGATIVE_INFINITY, a, what + " at " + java.util.Arrays.toString(idx));
            else assertEquals(r, a, TOL * (1 + Math.abs(r)), what + " at " + java.util.Arrays.toString(idx));
        }
    }
}
