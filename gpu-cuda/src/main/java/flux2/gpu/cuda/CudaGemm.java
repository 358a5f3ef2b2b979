package flux2.gpu.cuda;

import flux2.gpu.KernelArgs;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.util.Locale;

/**
 * Plans a matmul with a BF16 right operand onto the kernels of gemm_bf16.ptx: a single GEMM, or one batch
 * axis as the grid's z dimension (stride 0 for a broadcast operand). Answers null when the operands do not
 * fit (the caller then uses the shared kernels).
 */
public final class CudaGemm {
    /** How A is fed to the tensor cores. */
    public enum Mode {
        /** A rounded to BF16: one mma per tile, the usual mixed-precision GEMM. */
        BF16("gemm_bf16_mma"),
        /** A split into two BF16 terms: two mma per tile, A keeps about 16 mantissa bits. */
        BF16X2("gemm_bf16x2_mma"),
        /** FP32 FMA, one thread per output: the reference the tensor-core kernels are checked against. */
        SCALAR("gemm_bf16_scalar"),
        /** Never use these kernels. */
        OFF(null);

        final String kernel;

        Mode(String kernel) { this.kernel = kernel; }

        /** The kernel's name in gemm_bf16.ptx. */
        public String kernel() { return kernel; }

        /** The mode named by {@code flux2.cuda.gemm} (bf16, bf16x2, scalar, off). */
        static Mode fromProperty() {
            String v = System.getProperty("flux2.cuda.gemm", "bf16").trim().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "bf16" -> BF16;
                case "bf16x2" -> BF16X2;
                case "scalar" -> SCALAR;
                case "off" -> OFF;
                default -> throw new IllegalArgumentException(
                        "system property flux2.cuda.gemm=" + v + ": allowed values are bf16, bf16x2, scalar, off");
            };
        }
    }

    /** Smallest M*N*K worth a 128x128 tile launch; below it the shared kernels are as fast. */
    static final long MIN_WORK = 1L << 18;

    final int m, n, k, batch;
    final long aoff, sam, sab, boff, sbn, sbk, sbb, coff, scm, scb;
    final boolean vecOk;

    private CudaGemm(int m, int n, int k, int batch, long aoff, long sam, long sab, long boff, long sbn, long sbk,
                     long sbb, long coff, long scm, long scb) {
        this.m = m; this.n = n; this.k = k; this.batch = batch;
        this.aoff = aoff; this.sam = sam; this.sab = sab;
        this.boff = boff; this.sbn = sbn; this.sbk = sbk; this.sbb = sbb;
        this.coff = coff; this.scm = scm; this.scb = scb;
        // 16-byte loads of A (4 floats) and of B (8 bf16 along k, or 4 along n read as two 8-byte rows).
        boolean aVec = aoff % 4 == 0 && sam % 4 == 0 && sab % 4 == 0;
        boolean bVec = sbk == 1 ? boff % 8 == 0 && sbn % 8 == 0 && sbb % 8 == 0
                                : boff % 4 == 0 && sbk % 4 == 0 && sbb % 4 == 0;
        this.vecOk = aVec && bVec;
    }

    /**
     * The plan of out[..., M, N] (+)= a[..., M, K] x b[..., K, N], or null when it does not fit: a must be F32
     * with unit stride along K, b BF16 with unit stride along K or N, out F32 with unit stride along N, and
     * the batch axes must reduce to at most one.
     */
    public static CudaGemm plan(Tensor a, Tensor b, Tensor out) {
        if (a.dtype() != DType.F32 || b.dtype() != DType.BF16 || out.dtype() != DType.F32) return null;
        if (a.rank() < 2 || b.rank() < 2 || out.rank() < 2) return null;
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        if (b.size(-2) != k || out.size(-2) != m || out.size(-1) != n) return null;
        if ((long) m * n * k < MIN_WORK) return null;
        if ((long) m * (out.numel() / ((long) m * n)) > 65535L * 128) return null;  // grid y limit
        if (a.stride(-1) != 1 && k > 1) return null;
        if (out.stride(-1) != 1 && n > 1) return null;
        long sbk = b.stride(-2), sbn = b.stride(-1);
        if (sbk != 1 && sbn != 1) return null;

        int outBatch = 1;
        for (int i = 0; i < out.rank() - 2; i++) outBatch *= out.size(i);
        if (b.rank() == 2 && batchFoldsIntoRows(a, out)) {
            // A Linear layer: every batch row of a meets the same weight, so the batch axes join M.
            return new CudaGemm(m * outBatch, n, k, 1, a.offset(), a.stride(-2), 0, b.offset(), sbn, sbk, 0,
                    out.offset(), out.stride(-2), 0);
        }
        if (out.rank() == 2) {
            return new CudaGemm(m, n, k, 1, a.offset(), a.stride(-2), 0, b.offset(), sbn, sbk, 0, out.offset(),
                    out.stride(-2), 0);
        }
        if (out.rank() != 3 || out.size(0) > 65535) return null;
        long sab = a.rank() == 3 ? (a.size(0) == 1 ? 0 : a.stride(0)) : 0;
        long sbb = b.rank() == 3 ? (b.size(0) == 1 ? 0 : b.stride(0)) : 0;
        if (a.rank() > 3 || b.rank() > 3) return null;
        return new CudaGemm(m, n, k, out.size(0), a.offset(), a.stride(-2), sab, b.offset(), sbn, sbk, sbb,
                out.offset(), out.stride(-2), out.stride(0));
    }

    /** Whether a's and out's leading axes are laid out as more rows (row stride times row count, nested). */
    private static boolean batchFoldsIntoRows(Tensor a, Tensor out) {
        if (a.rank() != out.rank()) return false;
        for (int i = 0; i < a.rank() - 2; i++) if (a.size(i) != out.size(i)) return false;
        return foldable(a) && foldable(out);
    }

    private static boolean foldable(Tensor t) {
        long expect = t.stride(-2) * t.size(-2);
        for (int i = t.rank() - 3; i >= 0; i--) {
            if (t.size(i) != 1 && t.stride(i) != expect) return false;
            expect *= t.size(i);
        }
        return true;
    }

    /** The launch arguments, in the kernels' parameter order. */
    public KernelArgs args(long a, long b, long c, boolean accumulate) {
        return new KernelArgs().i(m).i(n).i(k)
                .buffer(a).l(aoff).l(sam).l(sab)
                .buffer(b).l(boff).l(sbn).l(sbk).l(sbb)
                .buffer(c).l(coff).l(scm).l(scb)
                .i(accumulate ? 1 : 0).i(vecOk ? 1 : 0);
    }

    /** Global and local sizes of the launch for {@code mode}. */
    public long[][] grid(Mode mode) {
        if (mode == Mode.SCALAR) {
            long gx = (n + 15) / 16 * 16L, gy = (m + 15) / 16 * 16L;
            return new long[][] {{gx, gy, batch}, {16, 16, 1}};
        }
        long bx = (n + 127) / 128, by = (m + 127) / 128;
        return new long[][] {{bx * 256, by, batch}, {256, 1, 1}};
    }
}
