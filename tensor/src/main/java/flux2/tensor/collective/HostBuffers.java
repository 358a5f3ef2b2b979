package flux2.tensor.collective;

import flux2.tensor.Backends;
import flux2.tensor.DType;
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
