package flux2.tensor.cpu;

import static flux2.tensor.cpu.TestData.assertClose;
import static flux2.tensor.cpu.TestData.uniform;
import static flux2.tensor.cpu.TestData.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flux2.tensor.Backends;
import flux2.tensor.BinaryOp;
import flux2.tensor.DType;
import flux2.tensor.Shapes;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    private static final int[] SIZES = {1, 7, 33, 1003};
    /** Large enough to be split across threads. */
    private static final int PARALLEL_SIZE = 40_001;
    private static final double RTOL = 2e-6, ATOL = 1e-9;
    private TensorArena arena;

    @BeforeEach void open() { arena = TensorArena.open("elementwise-test"); }

    @AfterEach void close() { arena.close(); }

    /** Input range where each op is defined and interesting. */
    private static double[] domain(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> new double[]{1e-3, 100};
            case RECIPROCAL -> new double[]{0.05, 20};
            case EXP -> new double[]{-80, 80};
            case TANH, SIGMOID, SILU, GELU, GELU_TANH -> new double[]{-12, 12};
            default -> new double[]{-5, 5};
        };
    }

    private static double[] expected(UnaryOp op, Tensor x, double p0, double p1) {
        double[] v = values(x);
        for (int i = 0; i < v.length; i++) v[i] = Reference.unary(op, v[i], p0, p1);
        return v;
    }

    @Test
    void everyUnaryOpMatchesTheDoubleReferenceAtOddSizes() {
        Random r = new Random(1);
        for (UnaryOp op : UnaryOp.values()) {
            double[] d = domain(op);
            boolean big = op == UnaryOp.EXP || op == UnaryOp.GELU;
            for (int n : big ? new int[]{1, 7, 33, 1003, PARALLEL_SIZE} : SIZES) {
                Tensor x = uniform(r, DType.F32, d[0], d[1], n);
                double p0 = op == UnaryOp.CLAMP ? -1.5 : op == UnaryOp.AFFINE ? 0.3 : 3, p1 = op == UnaryOp.CLAMP ? 2.25 : -0.7;
                Tensor out = flux2.tensor.Ops.unary(op, x, p0, p1);
                // the activation derivatives cross zero (GELU' near x = -0.75, SiLU' near -1.28) as a difference of
                // terms of order 1: near a root the meaningful accuracy is absolute, relative to those terms
                double atol = op == UnaryOp.GELU_GRAD || op == UnaryOp.SILU_GRAD ? 2e-7 : ATOL;
                assertClose(expected(op, x, p0, p1), out, RTOL, atol, op + " n=" + n);
            }
        }
    }

    @Test
    void powSpecialExponentsAndNegativeBases() {
        Random r = new Random(2);
        Tensor x = uniform(r, DType.F32, -3, 3, 101);
        for (double p : new double[]{2, 1, 3, 0, -1}) assertClose(expected(UnaryOp.POW, x, p, 0), x.pow(p), RTOL, ATOL, "pow " + p);
        Tensor pos = uniform(r, DType.F32, 0, 9, 101);
        for (double p : new double[]{0.5, -1.5, 2.7}) assertClose(expected(UnaryOp.POW, pos, p, 0), pos.pow(p), RTOL, ATOL, "pow " + p);
        // A negative base with a fractional exponent is NaN, as in PyTorch.
        assertTrue(Double.isNaN(Tensor.of(new float[]{-2}, 1).pow(0.5).get(0)));
    }

    @Test
    void erfAndGeluAreAccurateToAFewFloatUlps() {
        // The reference itself: series and continued fraction agree where they meet.
        assertEquals(1 - Reference.erf(2.5 - 1e-12), Reference.erfcContinuedFraction(2.5), 1e-15);
        double worstAbs = 0, worstRel = 0, worstGelu = 0;
        int n = 48_001;
        MemorySegment in = MemorySegment.ofArray(new byte[n * 4]), out = MemorySegment.ofArray(new byte[n * 4]);
        for (int i = 0; i < n; i++) {
            float x = -6 + i * 0.00025f;
            in.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L, 2 * x);
            worstAbs = Math.max(worstAbs, Math.abs(VecMath.erf(x) - Reference.erf(x)));
            if (x >= 0) {
                double ref = Reference.erfc(x);
                worstRel = Math.max(worstRel, Math.abs(VecMath.erfcPositive(x) - ref) / ref);
            }
        }
        assertTrue(worstAbs < 3e-7, "erf absolute error " + worstAbs);
        // erfc keeps its relative accuracy in the tail, where GELU of negative inputs lives.
        assertTrue(worstRel < 5e-7, "erfc relative error " + worstRel);
        VecKernels.unary(UnaryOp.GELU, 0, 0, in, 0, out, 0, n);
        for (int i = 0; i < n; i++) {
            float x = in.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L);
            double ref = Reference.unary(UnaryOp.GELU, x, 0, 0);
            if (ref == 0) continue;
            worstGelu = Math.max(worstGelu, Math.abs(out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L) - ref) / Math.abs(ref));
            worstGelu = Math.max(worstGelu, Math.abs(VecMath.gelu(x) - ref) / Math.abs(ref));
        }
        assertTrue(worstGelu < 1e-6, "GELU relative error " + worstGelu);
    }

    @Test
    void vectorMathFunctionsAreWithinAnUlpOfJavaLangMath() {
        Random r = new Random(3);
        int n = 60_001;
        MemorySegment in = MemorySegment.ofArray(new byte[n * 4]), out = MemorySegment.ofArray(new byte[n * 4]);
        for (UnaryOp op : new UnaryOp[]{UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH}) {
            for (int i = 0; i < n; i++) {
                float x = switch (op) {
                    case EXP -> (float) (-103 + 191 * r.nextDouble());
                    case LOG -> (float) Math.exp(-80 + 160 * r.nextDouble());
                    default -> (float) (-12 + 24 * r.nextDouble());
                };
                in.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L, x);
            }
            VecKernels.unary(op, 0, 0, in, 0, out, 0, n);
            double worst = 0;
            for (int i = 0; i < n; i++) {
                double x = in.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L);
                double ref = op == UnaryOp.EXP ? Math.exp(x) : op == UnaryOp.LOG ? Math.log(x) : Math.tanh(x);
                float got = out.get(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4L);
                if (Float.isInfinite((float) ref)) {
                    assertEquals((float) ref, got, op + "(" + x + ")");
                    continue;
                }
                worst = Math.max(worst, Math.abs(got - ref) / Math.ulp((float) ref));
            }
            // tanh of |x| >= 0.625 is 1 - 2 / (exp(2|x|) + 1): the exp's ulp and two roundings add up to 1.1 ulps
            double bound = op == UnaryOp.TANH ? 1.5 : 1.0;
            assertTrue(worst <= bound, op + " is off by " + worst + " ulps");
        }
    }

    @Test
    void operandsAreSimplifiedForIteration() {
        // Contiguous operands become one run.
        Dims flat = Dims.of(new int[]{4, 5, 6}, new long[]{30, 6, 1}, new long[]{30, 6, 1});
        assertArrayEquals(new int[]{120}, flat.shape);
        // A bias expanded over rows keeps a row axis with stride 0 and a contiguous last axis.
        Dims bias = Dims.of(new int[]{2, 3, 6}, new long[]{18, 6, 1}, new long[]{0, 0, 1});
        assertArrayEquals(new int[]{6, 6}, bias.shape);
        assertArrayEquals(new long[]{0, 1}, bias.strides[1]);
        // A per-row scalar [M, 1] expanded to [M, N]: the last axis has stride 0 for that operand.
        Dims perRow = Dims.of(new int[]{7, 1, 9}, new long[]{9, 9, 1}, new long[]{1, 1, 0});
        assertArrayEquals(new int[]{7, 9}, perRow.shape);
        assertEquals(0, perRow.inner(1));
        // A transposed operand keeps both axes; a single element is one axis of size 1.
        Dims t = Dims.of(new int[]{3, 4}, new long[]{4, 1}, new long[]{1, 3});
        assertArrayEquals(new int[]{3, 4}, t.shape);
        assertArrayEquals(new int[]{1}, Dims.of(new int[]{1, 1}, new long[]{5, 7}).shape);
        assertArrayEquals(new int[]{1}, Dims.of(new int[0], new long[0]).shape);
    }

    @Test
    void everyBinaryOpOnContiguousOperands() {
        Random r = new Random(4);
        for (BinaryOp op : BinaryOp.values()) {
            for (int n : op == BinaryOp.ADD ? new int[]{1, 7, 33, 1003, PARALLEL_SIZE} : SIZES) {
                Tensor a = op == BinaryOp.POW ? uniform(r, DType.F32, 0.1, 3, n) : uniform(r, DType.F32, -4, 4, n);
                Tensor b = op == BinaryOp.POW ? uniform(r, DType.F32, -2, 2, n) : uniform(r, DType.F32, 0.5, 3, n);
                if (op == BinaryOp.DIV || op == BinaryOp.MAX || op == BinaryOp.MIN) b = b.mul(-1).add(1.75);
                checkBinary(op, a, b, op + " n=" + n);
            }
        }
    }

    private static void checkBinary(BinaryOp op, Tensor a, Tensor b, String what) {
        Tensor out = flux2.tensor.Ops.binary(op, a, b);
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        assertArrayEquals(shape, out.shape(), what);
        double[] av = values(a.expand(shape)), bv = values(b.expand(shape));
        double[] e = new double[av.length];
        for (int i = 0; i < e.length; i++) e[i] = Reference.binary(op, av[i], bv[i]);
        if (out.dtype() == DType.BF16) {
            for (int i = 0; i < e.length; i++) e[i] = flux2.tensor.Half.bf16ToFloat(flux2.tensor.Half.floatToBf16((float) e[i]));
        }
        assertClose(e, out, RTOL, ATOL, what);
    }

    @Test
    void broadcastingThroughTheTensorApi() {
        Random r = new Random(5);
        Tensor a = uniform(r, DType.F32, -1, 1, 3, 1, 5), b = uniform(r, DType.F32, -1, 1, 4, 1);
        Tensor sum = a.add(b);
        assertArrayEquals(new int[]{3, 4, 5}, sum.shape());
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 5; k++) assertEquals((float) (a.get(i, 0, k) + b.get(j, 0)), sum.get(i, j, k), 0);
        for (BinaryOp op : BinaryOp.values()) {
            Tensor p = op == BinaryOp.POW ? a.abs().add(0.1) : a;
            checkBinary(op, p, b, op + " [3,1,5] with [4,1]");
            checkBinary(op, b, p, op + " [4,1] with [3,1,5]");
        }
    }

    @Test
    void rowBroadcastFastPaths() {
        Random r = new Random(6);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor m = uniform(r, DType.F32, -2, 2, 37, n);
            Tensor bias = uniform(r, DType.F32, -2, 2, n);
            Tensor perRow = uniform(r, DType.F32, 0.5, 2, 37, 1);
            BinaryOp[] ops = n > 100 ? new BinaryOp[]{BinaryOp.SUB} : new BinaryOp[]{BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAX};
            for (BinaryOp op : ops) {
                checkBinary(op, m, bias, op + " [37," + n + "] with bias");
                checkBinary(op, bias, m, op + " bias with [37," + n + "]");
                checkBinary(op, m, perRow, op + " [37," + n + "] with per-row scalar");
                checkBinary(op, perRow, m, op + " per-row scalar with [37," + n + "]");
            }
        }
        // Large enough for several threads: a gate [B, 1, D] against [B, L, D].
        Tensor x = uniform(r, DType.F32, -1, 1, 2, 300, 257), gate = uniform(r, DType.F32, -1, 1, 2, 1, 257);
        checkBinary(BinaryOp.MUL, x, gate, "gate");
        checkBinary(BinaryOp.ADD, x, Tensor.scalar(0.25f), "scalar");
    }

    @Test
    void nonContiguousInputs() {
        Random r = new Random(7);
        Tensor base = uniform(r, DType.F32, -3, 3, 33, 41);
        Tensor t = base.t();                          // [41, 33], inner stride 41
        Tensor n = base.narrow(1, 3, 33).t();         // [33, 33] of a narrowed view
        Tensor s = uniform(r, DType.F32, -3, 3, 41, 66).slice(1, 1, 66, 2); // [41, 33], inner stride 2
        checkBinary(BinaryOp.ADD, t, s, "transposed + sliced");
        checkBinary(BinaryOp.MUL, n, base.narrow(0, 0, 33).narrow(1, 8, 33), "narrowed * narrowed");
        for (UnaryOp op : new UnaryOp[]{UnaryOp.EXP, UnaryOp.GELU, UnaryOp.SILU, UnaryOp.AFFINE}) {
            assertClose(expected(op, t, 0.5, 1), flux2.tensor.Ops.unary(op, t, 0.5, 1), RTOL, ATOL, op + " transposed");
        }
        // Expanded (stride 0) unary input.
        Tensor e = uniform(r, DType.F32, -1, 1, 5, 1).expand(5, 9);
        assertClose(expected(UnaryOp.TANH, e, 0, 0), e.tanh(), RTOL, ATOL, "tanh expanded");
        // Large permuted operands exercise the parallel strided path.
        Tensor big = uniform(r, DType.F32, -1, 1, 64, 48, 20).permute(2, 0, 1);
        checkBinary(BinaryOp.SUB, big, uniform(r, DType.F32, -1, 1, 20, 64, 48), "permuted 61440 elements");
    }

    @Test
    void halfPrecisionInputsAndOutputs() {
        Random r = new Random(8);
        for (int n : new int[]{1, 7, 33, 1003}) {
            Tensor a16 = uniform(r, DType.BF16, -4, 4, 3, n), b32 = uniform(r, DType.F32, -4, 4, 3, n);
            Tensor mixed = a16.add(b32);
            assertEquals(DType.F32, mixed.dtype());
            checkBinary(BinaryOp.ADD, a16, b32, "bf16 + f32 n=" + n);
            Tensor b16 = uniform(r, DType.BF16, -4, 4, 3, n);
            assertEquals(DType.BF16, a16.mul(b16).dtype());
            checkBinary(BinaryOp.MUL, a16, b16, "bf16 * bf16 n=" + n);
            checkBinary(BinaryOp.ADD, a16, uniform(r, DType.BF16, -4, 4, n), "bf16 + bf16 bias n=" + n);
            checkBinary(BinaryOp.SUB, uniform(r, DType.F16, -4, 4, 3, n), b32, "f16 - f32 n=" + n);
            Tensor g = a16.gelu();
            assertEquals(DType.BF16, g.dtype());
            double[] e = expected(UnaryOp.GELU, a16, 0, 0);
            for (int i = 0; i < e.length; i++) e[i] = flux2.tensor.Half.bf16ToFloat(flux2.tensor.Half.floatToBf16((float) e[i]));
            assertClose(e, g, 1e-6, 1e-9, "gelu bf16 n=" + n);
        }
        // Strided BF16 (a transposed weight) against F32.
        Tensor w = uniform(r, DType.BF16, -1, 1, 19, 23).t();
        checkBinary(BinaryOp.MUL, w, uniform(r, DType.F32, -1, 1, 23, 19), "transposed bf16");
        // Integer input to a unary op produces F32.
        Tensor ints = Tensor.ofLongs(new long[]{-2, 0, 3}, 3);
        assertClose(new double[]{Math.exp(-2), 1, Math.exp(3)}, ints.exp(), RTOL, ATOL, "exp of I64");
    }

    @Test
    void stridedAndAliasedOutputs() {
        Random r = new Random(9);
        Tensor a = uniform(r, DType.F32, -1, 1, 17, 29), b = uniform(r, DType.F32, -1, 1, 17, 29);
        double[] e = values(a);
        double[] bv = values(b);
        for (int i = 0; i < e.length; i++) e[i] = e[i] * bv[i];
        // Write through a transposed view of a fresh [29, 17] buffer.
        Tensor buf = Tensor.zeros(DType.F32, 29, 17);
        Backends.cpu().binary(BinaryOp.MUL, a, b, buf.t());
        assertClose(e, buf.t(), RTOL, ATOL, "transposed output");
        // BF16 strided output.
        Tensor buf16 = Tensor.zeros(DType.BF16, 29, 17);
        Backends.cpu().binary(BinaryOp.MUL, a, b, buf16.t());
        double[] e16 = e.clone();
        for (int i = 0; i < e16.length; i++) e16[i] = flux2.tensor.Half.bf16ToFloat(flux2.tensor.Half.floatToBf16((float) e16[i]));
        assertClose(e16, buf16.t(), 0, 0, "bf16 transposed output");
        // In place: out is a.
        Backends.cpu().binary(BinaryOp.MUL, a, b, a);
        assertClose(e, a, RTOL, ATOL, "in place");
        e = values(a);
        Backends.cpu().unary(UnaryOp.NEG, a, 0, 0, a);
        for (int i = 0; i < e.length; i++) e[i] = -e[i];
        assertClose(e, a, 0, 0, "unary in place");
    }

    @Test
    void nanPropagatesThroughMaxMinAndClamp() {
        Tensor a = Tensor.of(new float[]{Float.NaN, 1, 2, Float.NaN, 5, 6, 7, 8, 9, 10}, 10);
        Tensor b = Tensor.full(DType.F32, 3, 10);
        for (Tensor t : new Tensor[]{a.maximum(b), a.minimum(b), b.maximum(a), a.clamp(0, 4)}) {
            assertTrue(Double.isNaN(t.get(0)) && Double.isNaN(t.get(3)), "NaN kept");
            assertTrue(!Double.isNaN(t.get(1)));
        }
        assertEquals(4, a.clamp(0, 4).get(5));
        assertEquals(3, a.maximum(b).get(1));
    }

    @Test
    void emptyTensorsAndBadShapes() {
        Tensor empty = Tensor.zeros(DType.F32, 0, 5);
        assertEquals(0, empty.exp().numel());
        assertEquals(0, empty.add(empty).numel());
        Tensor a = Tensor.zeros(DType.F32, 3, 4);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.zeros(DType.F32, 4, 3)));
        assertTrue(ex.getMessage().contains("[4, 3]"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.add(Tensor.zeros(DType.F32, 5)));
        ex = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.I4, 3, 4).exp());
        assertTrue(ex.getMessage().contains("packed dtype I4"), ex.getMessage());
    }
}
