package flux2.tensor.collective;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Half;
import flux2.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Host copies of tensors for collectives that work in host memory (Open MPI without CUDA support, the in-JVM
 * implementation): raw bytes for broadcasts and gathers, F32 values for reductions, and the F32 sum of several
 * ranks' values in rank order, which every rank computes alike.
 */
public final class HostBuffers {
    private HostBuffers() {}

    /** The bytes of contiguous t (downloaded from a device). */
    public static byte[] bytes(Tensor t) {
        Tensor h = t.backend().isHost() ? t : t.to(Backends.cpu());
        long n = h.dtype().bytesFor(h.numel());
        byte[] out = new byte[Math.toIntExact(n)];
        MemorySegment.copy(h.segment(), ValueLayout.JAVA_BYTE, h.byteOffset(), out, 0, out.length);
        return out;
    }

    /** Writes {@code data} over the bytes of contiguous t (uploaded to a device). */
    public static void write(Tensor t, byte[] data, int offset) {
        Tensor host = t.backend().isHost() ? t : Tensor.zeros(t.dtype(), t.shape());
        MemorySegment.copy(data, offset, host.segment(), ValueLayout.JAVA_BYTE, host.byteOffset(), Math.toIntExact(host.dtype().bytesFor(host.numel())));
        if (host != t) t.copyFrom(host);
    }

    /** The values of t as F32. */
    public static float[] floats(Tensor t) { return t.toFloatArray(); }

    /** t = values, rounded to t's dtype. */
    public static void write(Tensor t, float[] values) {
        Tensor v = Tensor.of(values, t.shape());
        t.copyFrom(t.dtype() == DType.F32 ? v : v.to(t.dtype()));
    }

    /**
     * BF16: {@code out} (n contiguous BF16 values in host memory) = the sum (or average) of the {@code world} ranks'
     * BF16 vectors laid end to end in {@code gathered}, added in F32 in rank order and rounded to BF16 once.
     */
    public static void reduceBf16(MemorySegment gathered, int world, long n, MemorySegment out, Reduction op) {
        float scale = op == Reduction.AVG ? 1f / world : 1f;
        for (long i = 0; i < n; i++) {
            float sum = 0;
            for (int r = 0; r < world; r++) sum += Half.bf16ToFloat(gathered.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, r * n + i));
            out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Half.floatToBf16(op == Reduction.AVG ? sum * scale : sum));
        }
    }

    /** The sum (or average) over ranks of their values, added in rank order in F32. */
    public static float[] reduce(float[][] byRank, Reduction op) {
        float[] out = byRank[0].clone();
        for (int r = 1; r < byRank.length; r++) {
            float[] x = byRank[r];
            for (int i = 0; i < out.length; i++) out[i] += x[i];
        }
        if (op == Reduction.AVG) {
            float inv = 1f / byRank.length;
            for (int i = 0; i < out.length; i++) out[i] *= inv;
        }
        return out;
    }
}
