package flux2.tensor.cpu;

import flux2.tensor.DType;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The blocked F32 product with B supplied panel by panel by the caller, for weights stored in formats this
 * package does not know (quantized ones): the caller decodes each {@code kc x PANEL_WIDTH} panel into the packed
 * buffer and the machine's micro-kernel does the rest, so B is never materialised in full precision.
 */
public final class GemmPanels {
    /** Columns of one B panel: those of the micro-kernel for this machine's vector width (16 or 32). */
    public static final int PANEL_WIDTH = GemmKernel.PREFERRED.nr;

    /** Fills one B panel. */
    @FunctionalInterface
    public interface PanelSource {
        /**
         * Writes B[k0 + kk, n0 + j] for kk < kc, j < w to {@code dst[off + kk * w + j]}, with zeros for
         * j >= nr, where w is {@link #PANEL_WIDTH}. {@code stage} is per-thread scratch of at least {@code w * kc} floats.
         */
        void fill(int k0, int kc, int n0, int nr, float[] dst, int off, float[] stage);
    }

    private GemmPanels() {}

    /**
     * out[m, n] = a[m, k] x B (plus out when {@code accumulate}), a and out F32 2-D CPU tensors with any
     * strides, B[k, n] given by {@code b}. Runs on the {@link flux2.tensor.Parallel} pool.
     */
    public static void multiply(Tensor a, PanelSource b, Tensor out, boolean accumulate) {
        multiply(a, b, out, accumulate, GemmKernel.PREFERRED);
    }

    /** As {@link #multiply(Tensor, PanelSource, Tensor, boolean)} with a given kernel, whose nr is the panel width. */
    static void multiply(Tensor a, PanelSource b, Tensor out, boolean accumulate, GemmKernel kernel) {
        if (a.rank() != 2 || out.rank() != 2 || a.dtype() != DType.F32 || out.dtype() != DType.F32 || a.size(0) != out.size(0))
            throw new IllegalArgumentException("GemmPanels.multiply needs F32 a [m, k] and out [m, n]; got " + a.dtype() + " "
                    + java.util.Arrays.toString(a.shape()) + " and " + out.dtype() + " " + java.util.Arrays.toString(out.shape()));
        int m = a.size(0), k = a.size(1), n = out.size(1);
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) CpuCopy.fill(out, 0);
            return;
        }
        GemmArgs g = new GemmArgs(m, n, k, a.segment(), rows(a), a.stride(1) * 4, MemorySegment.NULL, 0, 4L * n, 4, false,
                out.segment(), rows(out), out.stride(1) * 4, accumulate);
        GemmBlocked.run(g, kernel.blocking, b);
    }

    private static long[] rows(Tensor t) {
        long[] r = new long[t.size(0)];
        for (int i = 0; i < r.length; i++) r[i] = (t.offset() + i * t.stride(0)) * 4;
        return r;
    }
}
