package flux2.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.AttentionSpec;
import flux2.tensor.Backend;
import flux2.tensor.Backends;
import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.Layouts;
import flux2.tensor.Rng;
import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import flux2.tensor.ops.AdamWStep;
import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.IndexAxis;
import flux2.tensor.ops.MatmulDims;
import flux2.tensor.ops.RopeTable;
import flux2.tensor.ops.RowNormDims;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every Backend operation on each usable non-CPU backend (found through ServiceLoader) against the CPU
 * backend, on odd sizes with strided and broadcast operands. Skips with a message when there is none.
 */
class BackendParityTest {
    private static final Backend CPU = Backends.cpu();
    private TensorArena arena;
    private Rng rng;

    @BeforeEach
    void open() {
        arena = TensorArena.open("parity");
        rng = new Rng(17);
    }

    @AfterEach
    void close() { arena.close(); }

    /** Runs body once per usable device backend; skips when there is none. */
    private static void onEachDevice(Consumer<Backend> body) {
        Assumptions.assumeFalse(DeviceBackends.all().isEmpty(), DeviceBackends::whyNone);
        for (Backend be : DeviceBackends.all()) body.accept(be);
    }

    /** Tolerance of a result dtype: relative to the largest magnitude of the expected values. */
    private static double tol(DType dt) {
        return switch (dt) {
            case F32 -> 2e-5;
            case BF16 -> 1e-2;
            case F16 -> 2e-3;
            default -> 0;
        };
    }

    static void assertClose(String what, Tensor expected, Tensor actual, double relTol) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        double scale = 1e-30;
        for (float v : e) if (Float.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isInfinite(e[i])) {
                assertEquals(e[i], a[i], 0, what + ": element " + i + " (non-finite)");
                continue;
            }
            double err = Math.abs(e[i] - a[i]);
            if (!(err <= relTol * scale + 1e-30))
                throw new AssertionError(what + ": element " + i + " of " + e.length + " expected " + e[i] + " got " + a[i]
                        + " (|err| " + err + " > " + relTol + " x " + scale + ")");
        }
    }

    private Tensor randn(int... shape) { return rng.normal(0, 1, shape); }

    // ---------------------------------------------------------------- copy, fill, elementwise

    @Test
    void copyConvertsBetweenDtypesAndLayouts() {
        onEachDevice(be -> {
            Tensor x = randn(7, 13, 5).mul(50);
            for (DType from : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.I8, DType.U8, DType.BOOL}) {
                Tensor src = x.to(from);
                Tensor dsrc = src.to(be);
                for (DType to : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32}) {
                    Tensor want = src.permute(2, 0, 1).to(to);
                    Tensor got = dsrc.permute(2, 0, 1).to(to);
                    assertEquals(be.name(), got.backend().name());
                    assertClose("copy " + from + " -> " + to, want, got, 0);
                }
            }
            Tensor big = x.to(be).narrow(1, 2, 9).slice(0, 1, 7, 2);
            assertClose("strided view to host", x.narrow(1, 2, 9).slice(0, 1, 7, 2), big, 0);
            Tensor into = Tensor.allocate(be, DType.F32, new int[]{5, 7, 13}, arena);
            into.permute(1, 2, 0).copyFrom(x);
            assertClose("upload into a strided view", x.permute(2, 0, 1), into, 0);
        });
    }

    @Test
    void fillAndElementAccess() {
        onEachDevice(be -> {
            for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.U8}) {
                Tensor t = Tensor.allocate(be, dt, new int[]{3, 5}, arena);
                t.t().narrow(0, 1, 3).fill(7);
                Tensor c = Tensor.zeros(dt, 3, 5);
                c.t().narrow(0, 1, 3).fill(7);
                assertClose("fill " + dt, c, t, 0);
                t.set(2, 1, 4);
                assertEquals(2.0, t.get(1, 4));
                assertEquals(7.0, t.get(0, 1));
            }
            assertEquals(3.5, Tensor.scalar(3.5f).to(be).item());
            Tensor host = new Rng(5).normal(0, 1, 4, 6);
            Tensor dev = new Rng(5).fillNormal(Tensor.allocate(be, DType.F32, new int[]{4, 6}, arena), 0, 1);
            assertClose("seeded normal drawn into a device tensor", host, dev, 0);
        });
    }

    @Test
    void unaryOpsMatch() {
        onEachDevice(be -> {
            Tensor x = randn(7, 13, 5);
            Tensor pos = x.abs().add(0.1);
            for (UnaryOp op : UnaryOp.values()) {
                Tensor in = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RSQRT || op == UnaryOp.POW ? pos : x;
                double p0 = op == UnaryOp.POW ? 1.7 : op == UnaryOp.CLAMP ? -0.5 : 1.3, p1 = op == UnaryOp.CLAMP ? 0.7 : -0.2;
                Tensor want = Tensor.zeros(DType.F32, 7, 13, 5);
                CPU.unary(op, in, p0, p1, want);
                Tensor got = Tensor.allocate(be, DType.F32, new int[]{7, 13, 5}, arena);
                be.unary(op, in.to(be), p0, p1, got);
                assertClose("unary " + op, want, got, 1e-5);
                // strided BF16 input into a transposed output
                Tensor inB = in.to(DType.BF16).permute(1, 0, 2);
                Tensor wantB = Tensor.zeros(DType.F32, 5, 13, 7).permute(2, 1, 0).permute(1, 0, 2);
                CPU.unary(op, inB, p0, p1, wantB);
                Tensor gotB = Tensor.allocate(be, DType.F32, new int[]{5, 13, 7}, arena).permute(2, 1, 0).permute(1, 0, 2);
                be.unary(op, inB.to(be), p0, p1, gotB);
                assertClose("unary strided " + op, wantB, gotB, 1e-5);
            }
        });
    }

    @Test
    void binaryOpsBroadcast() {
        onEachDevice(be -> {
            Tensor a = randn(7, 13, 5), b = randn(13, 1).abs().add(0.5);
            for (BinaryOp op : BinaryOp.values()) {
                Tensor aa = op == BinaryOp.POW ? a.abs() : a;
                Tensor want = switch (op) {
                    case ADD -> aa.add(b); case SUB -> aa.sub(b); case MUL -> aa.mul(b); case DIV -> aa.div(b);
                    case MAX -> aa.maximum(b); case MIN -> aa.minimum(b); case POW -> aa.pow(b);
                };
                Tensor da = aa.to(be), db = b.to(be);
                Tensor got = switch (op) {
                    case ADD -> da.add(db); case SUB -> da.sub(db); case MUL -> da.mul(db); case DIV -> da.div(db);
                    case MAX -> da.maximum(db); case MIN -> da.minimum(db); case POW -> da.pow(db);
                };
                assertEquals(be, got.backend());
                assertClose("binary " + op, want, got, 1e-5);
            }
            Tensor wantB = a.to(DType.BF16).t().add(b.t().to(DType.BF16));
            Tensor gotB = a.to(DType.BF16).to(be).t().add(b.t().to(DType.BF16).to(be));
            assertEquals(DType.BF16, gotB.dtype());
            assertClose("binary bf16 strided", wantB, gotB, tol(DType.BF16));
        });
    }

    @Test
    void closingAnArenaFreesDeviceMemory() {
        onEachDevice(be -> {
            if (!(be instanceof GpuBackend gb)) return;
            long before = gb.deviceBytesInUse();
            try (TensorArena a = TensorArena.open("device")) {
                Tensor t = Tensor.allocate(be, DType.F32, new int[]{1000}, a);
                assertTrue(gb.deviceBytesInUse() >= before + 4000, "allocation counted");
                t.fill(1);
                assertEquals(1000.0, t.sum().item());
            }
            assertEquals(before, gb.deviceBytesInUse(), "device memory released with its arena");
        });
    }

    @Test
    void mixingBackendsFailsClearly() {
        onEachDevice(be -> {
            Tensor h = randn(3, 4), d = h.to(be);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.add(h));
            assertTrue(e.getMessage().contains("Tensor.to(backend)"), e.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> h.add(d));
            assertTrue(e2.getMessage().contains(be.name()), e2.getMessage());
        });
    }

    // ---------------------------------------------------------------- rows

    @Test
    void reductionsMatch() {
        onEachDevice(be -> {
            Tensor x = randn(7, 13, 5);
            Tensor d = x.to(be);
            int[][] axesList = {{0}, {1}, {2}, {0, 2}, {}, {1, 2}};
            for (int[] axes : axesList) {
                assertClose("sum " + Arrays.toString(axes), x.sumKeepDim(axes), d.sumKeepDim(axes), 1e-5);
                assertClose("mean " + Arrays.toString(axes), x.mean(axes), d.mean(axes), 1e-5);
                assertClose("max " + Arrays.toString(axes), x.max(axes), d.max(axes), 0);
            }
            for (int ax = 0; ax < 3; ax++) assertClose("argmax " + ax, x.argmax(ax), d.argmax(ax), 0);
            assertClose("sum of bf16 transposed", x.to(DType.BF16).t().sum(1), x.to(DType.BF16).to(be).t().sum(1), 1e-5);
        });
    }

    @Test
    void softmaxAndNormsMatch() {
        onEachDevice(be -> {
            Tensor x = randn(7, 13, 37).mul(3);
            Tensor w = randn(37), b = randn(37);
            Tensor dx = x.to(be), dw = w.to(be), db = b.to(be);
            assertClose("softmax", x.softmax(), dx.softmax(), 1e-5);
            assertClose("softmax strided", x.t().softmax(), dx.t().softmax(), 1e-5);
            for (boolean withW : new boolean[]{false, true}) {
                Tensor want = Tensor.zeros(DType.F32, 7, 13, 37), got = Tensor.allocate(be, DType.F32, new int[]{7, 13, 37}, arena);
                CPU.layerNorm(RowNormDims.of("layerNorm", x, withW ? w : null, withW ? b : null, 1e-5), x, withW ? w : null, withW ? b : null, want);
                be.layerNorm(RowNormDims.of("layerNorm", dx, withW ? dw : null, withW ? db : null, 1e-5), dx, withW ? dw : null, withW ? db : null, got);
                assertClose("layerNorm " + withW, want, got, 1e-5);
                CPU.rmsNorm(RowNormDims.of("rmsNorm", x, withW ? w : null, null, 1e-6), x, withW ? w : null, want);
                be.rmsNorm(RowNormDims.of("rmsNorm", dx, withW ? dw : null, null, 1e-6), dx, withW ? dw : null, got);
                assertClose("rmsNorm " + withW, want, got, 1e-5);
            }
            Tensor wantB = Tensor.zeros(DType.BF16, 13, 7, 37), gotB = Tensor.allocate(be, DType.BF16, new int[]{13, 7, 37}, arena);
            Tensor xB = x.to(DType.BF16).permute(1, 0, 2), dxB = dx.to(DType.BF16).permute(1, 0, 2);
            Tensor wB = w.to(DType.BF16), dwB = dw.to(DType.BF16);
            CPU.rmsNorm(RowNormDims.of("rmsNorm", xB, wB, null, 1e-6), xB, wB, wantB);
            be.rmsNorm(RowNormDims.of("rmsNorm", dxB, dwB, null, 1e-6), dxB, dwB, gotB);
            assertClose("rmsNorm bf16 strided", wantB, gotB, tol(DType.BF16));
            Tensor img = randn(3, 12, 5, 7), gw = randn(12), gb = randn(12);
            Tensor want = Tensor.zeros(DType.F32, 3, 12, 5, 7), got = Tensor.allocate(be, DType.F32, new int[]{3, 12, 5, 7}, arena);
            CPU.groupNorm(GroupNormDims.of(img, 4, gw, gb, 1e-6), img, gw, gb, want);
            Tensor dimg = img.to(be), dgw = gw.to(be), dgb = gb.to(be);
            be.groupNorm(GroupNormDims.of(dimg, 4, dgw, dgb, 1e-6), dimg, dgw, dgb, got);
            assertClose("groupNorm", want, got, 1e-5);
        });
    }

    @Test
    void ropeBothLayouts() {
        onEachDevice(be -> {
            Tensor x = randn(2, 3, 11, 14), cos = randn(1, 11, 7), sin = randn(1, 11, 7);
            for (RopeLayout layout : RopeLayout.values()) {
                Tensor want = Tensor.zeros(DType.F32, 2, 3, 11, 14), got = Tensor.allocate(be, DType.F32, new int[]{2, 3, 11, 14}, arena);
                CPU.rope(RopeTable.of(layout, x, cos, sin), x, want);
                Tensor dxr = x.to(be);
                be.rope(RopeTable.of(layout, dxr, cos.to(be), sin.to(be)), dxr, got);
                assertClose("rope " + layout, want, got, 1e-5);
                Tensor xs = x.transpose(1, 2);
                Tensor want2 = Tensor.zeros(DType.F32, 2, 11, 3, 14), got2 = Tensor.allocate(be, DType.F32, new int[]{2, 11, 3, 14}, arena);
                Tensor c2 = randn(3, 11, 7).transpose(0, 1), s2 = randn(11, 3, 7);
                CPU.rope(RopeTable.of(layout, xs, c2, s2), xs, want2);
                Tensor dxs = xs.to(be).contiguous().transpose(1, 2).transpose(1, 2);
                be.rope(RopeTable.of(layout, dxs, c2.to(be), s2.to(be)), dxs, got2);
                assertClose("rope strided " + layout, want2, got2, 1e-5);
            }
        });
    }

    // ---------------------------------------------------------------- matmul

    @Test
    void matmulBatchedBroadcastBf16AndAccumulate() {
        onEachDevice(be -> {
            Tensor a = randn(3, 7, 13), b = randn(3, 13, 5), w = randn(5, 13).to(DType.BF16);
            Tensor da = a.to(be), db = b.to(be), dw = w.to(be);
            assertClose("batched", a.matmul(b), da.matmul(db), 1e-5);
            assertClose("shared bf16 transposed weight", a.matmul(w.t()), da.matmul(dw.t()), 1e-5);
            Tensor a4 = randn(2, 1, 7, 13), b4 = randn(1, 3, 13, 70);
            assertClose("broadcast batch axes", a4.matmul(b4), a4.to(be).matmul(b4.to(be)), 1e-5);
            Tensor big = randn(67, 29), bigB = randn(29, 131);
            assertClose("several tiles", big.matmul(bigB), big.to(be).matmul(bigB.to(be)), 1e-5);
            Tensor want = randn(3, 7, 5), got = want.to(be);
            CPU.matmul(MatmulDims.of(a, b), a, b, want, true);
            be.matmul(MatmulDims.of(da, db), da, db, got, true);
            assertClose("accumulate", want, got, 1e-5);
            Tensor outT = Tensor.allocate(be, DType.F32, new int[]{3, 5, 7}, arena).transpose(1, 2);
            Tensor daT = da.transpose(1, 2).contiguous().transpose(1, 2);
            be.matmul(MatmulDims.of(daT, db), daT, db, outT, false);
            assertClose("strided a and out", a.matmul(b), outT, 1e-5);
        });
    }

    // ---------------------------------------------------------------- attention

    @Test
    void attentionForwardAndBackward() {
        onEachDevice(be -> {
            int b = 2, h = 4, hkv = 2, lq = 19, lk = 23, d = 12;
            Tensor q = randn(b, h, lq, d), k = randn(b, hkv, lk, d), v = randn(b, hkv, lk, d), g = randn(b, h, lq, d);
            Tensor mask = Tensor.zeros(DType.BOOL, b, lk).fill(1);
            for (int j = 0; j < 5; j++) mask.set(0, 1, j * 4);
            for (boolean causal : new boolean[]{false, true}) {
                for (Tensor m : new Tensor[]{null, mask}) {
                    AttentionSpec spec = AttentionSpec.of(d).withCausal(causal);
                    String what = "attention causal=" + causal + " mask=" + (m != null);
                    Tensor out = Tensor.zeros(DType.F32, b, h, lq, d), lse = Tensor.zeros(DType.F32, b, h, lq);
                    CPU.attention(AttentionDims.forward(spec, q, k, v, m), q, k, v, m, out, lse);
                    Tensor dOut = Tensor.allocate(be, DType.F32, new int[]{b, h, lq, d}, arena);
                    Tensor dLse = Tensor.allocate(be, DType.F32, new int[]{b, h, lq}, arena);
                    Tensor dq_ = q.to(be), dk_ = k.to(be), dv_ = v.to(be), dm = m == null ? null : m.to(be);
                    be.attention(AttentionDims.forward(spec, dq_, dk_, dv_, dm), dq_, dk_, dv_, dm, dOut, dLse);
                    assertClose(what + " out", out, dOut, 1e-5);
                    assertClose(what + " lse", lse, dLse, 1e-5);
                    Tensor gq = Tensor.zeros(DType.F32, b, h, lq, d), gk = Tensor.zeros(DType.F32, b, hkv, lk, d), gv = Tensor.zeros(DType.F32, b, hkv, lk, d);
                    CPU.attentionBackward(AttentionDims.backward(spec, q, k, v, m, out, lse, g), q, k, v, m, out, lse, g, gq, gk, gv);
                    Tensor hq = Tensor.allocate(be, DType.F32, new int[]{b, h, lq, d}, arena);
                    Tensor hk = Tensor.allocate(be, DType.F32, new int[]{b, hkv, lk, d}, arena);
                    Tensor hv = Tensor.allocate(be, DType.F32, new int[]{b, hkv, lk, d}, arena);
                    Tensor dg = g.to(be);
                    be.attentionBackward(AttentionDims.backward(spec, dq_, dk_, dv_, dm, dOut, dLse, dg), dq_, dk_, dv_, dm, dOut, dLse, dg, hq, hk, hv);
                    assertClose(what + " dq", gq, hq, 1e-4);
                    assertClose(what + " dk", gk, hk, 1e-4);
                    assertClose(what + " dv", gv, hv, 1e-4);
                }
            }
            // q, k, v as head-major views of token-major tensors [B, L, H, D], as the models make them
            Tensor qt = randn(b, lq, h, d), kt = randn(b, lk, hkv, d);
            AttentionSpec spec = AttentionSpec.of(d);
            Tensor out = Tensor.zeros(DType.F32, b, h, lq, d), lse = Tensor.zeros(DType.F32, b, h, lq);
            CPU.attention(AttentionDims.forward(spec, qt.transpose(1, 2), kt.transpose(1, 2), kt.transpose(1, 2), null), qt.transpose(1, 2),
                    kt.transpose(1, 2), kt.transpose(1, 2), null, out, lse);
            Tensor gOut = Tensor.allocate(be, DType.F32, new int[]{b, lq, h, d}, arena).transpose(1, 2);
            Tensor dkt = kt.to(be).transpose(1, 2);
            Tensor dqt = qt.to(be).transpose(1, 2);
            be.attention(AttentionDims.forward(spec, dqt, dkt, dkt, null), dqt, dkt, dkt, null, gOut, null);
            assertClose("attention strided views", out, gOut, 1e-5);
            // a fully masked row: zero output, -inf lse, zero gradients
            Tensor none = Tensor.zeros(DType.U8, 1, 3);
            Tensor q1 = randn(1, 1, 2, 4), k1 = randn(1, 1, 3, 4);
            Tensor o1 = Tensor.allocate(be, DType.F32, new int[]{1, 1, 2, 4}, arena), l1 = Tensor.allocate(be, DType.F32, new int[]{1, 1, 2}, arena);
            Tensor dq1 = q1.to(be), dk1 = k1.to(be), dnone = none.to(be);
            be.attention(AttentionDims.forward(AttentionSpec.of(4), dq1, dk1, dk1, dnone), dq1, dk1, dk1, dnone, o1, l1);
            assertEquals(0.0, o1.abs().sum().item());
            assertEquals(Double.NEGATIVE_INFINITY, l1.get(0, 0, 1));
        });
    }

    // ---------------------------------------------------------------- convolution, gather/scatter, optimizer

    @Test
    void conv2dAndGradients() {
        onEachDevice(be -> {
            Tensor x = randn(2, 3, 9, 7), w = randn(5, 3, 3, 2), bias = randn(5);
            int[][] strides = {{1, 1}, {2, 3}};
            int[][] pads = {{1, 1, 0, 1}, {0, 2, 1, 0}};
            for (int[] st : strides) for (int[] pd : pads) {
                String what = "conv stride " + Arrays.toString(st) + " pad " + Arrays.toString(pd);
                int ho = (9 + pd[0] + pd[1] - 3) / st[0] + 1, wo = (7 + pd[2] + pd[3] - 2) / st[1] + 1;
                for (DType wdt : new DType[]{DType.F32, DType.BF16}) {
                    Tensor wc = w.to(wdt);
                    Tensor want = Tensor.zeros(DType.F32, 2, 5, ho, wo), got = Tensor.allocate(be, DType.F32, new int[]{2, 5, ho, wo}, arena);
                    CPU.conv2d(ConvGeometry.forward(x, wc, bias, st, pd), x, wc, bias, want);
                    Tensor dx = x.to(be), dwc = wc.to(be), dbias = bias.to(be);
                    be.conv2d(ConvGeometry.forward(dx, dwc, dbias, st, pd), dx, dwc, dbias, got);
                    assertClose(what + " " + wdt, want, got, 1e-5);
                }
                Tensor g = randn(2, 5, ho, wo);
                Tensor dx = Tensor.zeros(DType.F32, 2, 3, 9, 7), gdx = Tensor.allocate(be, DType.F32, new int[]{2, 3, 9, 7}, arena);
                CPU.conv2dBackwardInput(ConvGeometry.backwardInput(g, w, st, pd, dx.shape()), g, w, dx);
                Tensor dg = g.to(be), dw_ = w.to(be);
                be.conv2dBackwardInput(ConvGeometry.backwardInput(dg, dw_, st, pd, gdx.shape()), dg, dw_, gdx);
                assertClose(what + " dx", dx, gdx, 1e-5);
                Tensor dw = Tensor.zeros(DType.F32, 5, 3, 3, 2), gdw = Tensor.allocate(be, DType.F32, new int[]{5, 3, 3, 2}, arena);
                CPU.conv2dBackwardWeight(ConvGeometry.backwardWeight(x, g, st, pd, dw.shape()), x, g, dw);
                Tensor dxw = x.to(be);
                be.conv2dBackwardWeight(ConvGeometry.backwardWeight(dxw, dg, st, pd, gdw.shape()), dxw, dg, gdw);
                assertClose(what + " dw", dw, gdw, 1e-5);
            }
        });
    }

    @Test
    void indexSelectAndIndexAdd() {
        onEachDevice(be -> {
            Tensor x = randn(7, 13, 5);
            Tensor idx = Tensor.ofLongs(new long[]{3, 0, 12, 3, 7}, 5);
            Tensor idx32 = idx.to(DType.I32);
            for (int dim = 0; dim < 3; dim++) {
                int n = x.size(dim);
                Tensor ix = Tensor.ofLongs(new long[]{n - 1, 0, n / 2, n - 1}, 4);
                int[] shp = x.shape();
                shp[dim] = 4;
                Tensor want = Tensor.zeros(DType.F32, shp), got = Tensor.allocate(be, DType.F32, shp, arena);
                CPU.indexSelect(IndexAxis.select(x, dim, ix), x, ix, want);
                Tensor dxi = x.to(be), dix = ix.to(be);
                be.indexSelect(IndexAxis.select(dxi, dim, dix), dxi, dix, got);
                assertClose("indexSelect dim " + dim, want, got, 0);
                Tensor src = randn(shp);
                Tensor dst = randn(x.shape());
                Tensor gdst = dst.to(be);
                CPU.indexAdd(IndexAxis.add(dst, dim, ix, src), dst, ix, src);
                Tensor dsrc = src.to(be);
                be.indexAdd(IndexAxis.add(gdst, dim, dix, dsrc), gdst, dix, dsrc);
                assertClose("indexAdd dim " + dim, dst, gdst, 1e-6);
            }
            Tensor emb = Tensor.zeros(DType.BF16, 5, 7, 5);
            Tensor xT = x.to(DType.BF16).transpose(0, 1);
            CPU.indexSelect(IndexAxis.select(xT, 0, idx32), xT, idx32, emb);
            Tensor gemb = Tensor.allocate(be, DType.BF16, new int[]{5, 7, 5}, arena);
            Tensor dxT = x.to(DType.BF16).to(be).transpose(0, 1), didx32 = idx32.to(be);
            be.indexSelect(IndexAxis.select(dxT, 0, didx32), dxT, didx32, gemb);
            assertClose("indexSelect bf16 strided I32 index", emb, gemb, 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Layouts.indexSelect(x.to(be), 0, Tensor.ofLongs(new long[]{7}, 1).to(be)));
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        });
    }

    @Test
    void adamwStepMatchesCpu() {
        onEachDevice(be -> {
            Tensor p = randn(7, 13), g = randn(7, 13), m = randn(7, 13).mul(0.1), v = randn(7, 13).abs().mul(0.01);
            Tensor gp = p.to(be), gg = g.to(be), gm = m.to(be), gv = v.to(be);
            for (long step = 1; step <= 3; step++) {
                CPU.adamwStep(AdamWStep.of(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.01, step), p, g, m, v);
                be.adamwStep(AdamWStep.of(gp, gg, gm, gv, 1e-2, 0.9, 0.999, 1e-8, 0.01, step), gp, gg, gm, gv);
            }
            assertClose("adamw param", p, gp, 1e-6);
            assertClose("adamw m", m, gm, 1e-6);
            assertClose("adamw v", v, gv, 1e-6);
        });
    }
}
