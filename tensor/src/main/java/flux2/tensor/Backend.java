package flux2.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The kernels a device provides. Every method writes into an output tensor that the caller allocated with
 * the right shape and dtype; inputs may be strided views. Operations not listed here are composed from these.
 * A new backend implements this interface and passes the same parity tests as the CPU backend.
 */
public interface Backend {
    /** Short name, such as "cpu" or "opencl:0". */
    String name();

    /** Memory for {@code bytes} bytes owned by {@code arena}. */
    MemorySegment allocate(long bytes, TensorArena arena);

    /**
     * Whether this backend's tensors live in host memory that {@link Tensor} may read and write directly.
     * A device backend answers false; its tensors reach the host only through {@link #download}.
     */
    default boolean isHost() { return true; }

    /** dst (of this backend, any strides) = src (a host tensor of the same shape and dtype). */
    default void upload(Tensor hostSrc, Tensor dst) { copy(hostSrc, dst); }

    /** hostDst (a host tensor of the same shape and dtype) = src (of this backend). */
    default void download(Tensor src, Tensor hostDst) { copy(src, hostDst); }

    /**
     * Marks the start of a repeated stretch of work: the same key means the same operations on the same shapes
     * and arenas allocated in the same order. A backend that can capture launches (TornadoVM, CUDA graphs) may
     * record the first occurrence and replay it, falling back to eager launches when the sequence differs.
     */
    default ExecutionPlan plan(String key) { return ExecutionPlan.EAGER; }

    /** Waits until every operation queued on this backend has completed (at once on a host backend). */
    default void finish() {}

    /** Bytes of device memory held by open arenas and running operations through this backend; 0 for a host backend. */
    default long deviceBytesInUse() { return 0; }

    /**
     * The device memory a run may hold in bytes: the device's, or the smaller cap set for it; -1 for a host backend
     * (whose memory is the process's).
     */
    default long deviceMemoryBytes() { return -1; }

    /** dst = src, elementwise over equal shapes, converting dtypes; either may be strided. */
    void copy(Tensor src, Tensor dst);

    /** Every element of dst = value. */
    void fill(Tensor dst, double value);

    /** out = op(x, p0, p1); x has out's shape (broadcast views allowed). */
    void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out);

    /** out = op(a, b); a and b have out's shape (expanded views with zero strides allowed). */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out = op over {@code axes} of x; out has x's rank with size 1 on the reduced axes. */
    void reduce(ReduceOp op, Tensor x, int[] axes, Tensor out);

    /** Softmax over the last axis. */
    void softmax(Tensor x, Tensor out);

    /** LayerNorm over the last axis; weight and bias may be null. */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, double eps, Tensor out);

    /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight; weight may be null. */
    void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out);

    /** GroupNorm of x [N, C, *] over C/groups channels and all spatial positions; weight and bias [C] or null. */
    void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps, Tensor out);

    /**
     * Rotary embedding of x [..., L, D]: each channel pair (a, b) becomes (a cos - b sin, a sin + b cos).
     * cos and sin are [..., L, D/2] broadcastable against x's leading axes.
     */
    void rope(RopeLayout layout, Tensor x, Tensor cos, Tensor sin, Tensor out);

    /**
     * out[..., M, N] = a[..., M, K] x b[..., K, N] (+ out if {@code accumulate}). Batch axes broadcast.
     * a is F32; b is F32 or BF16 (a transposed weight is a strided view, never expanded to a copy).
     */
    void matmul(Tensor a, Tensor b, Tensor out, boolean accumulate);

    /**
     * Fused attention. q [B, H, Lq, D], k and v [B, Hkv, Lk, D] with H a multiple of Hkv (grouped-query);
     * keyMask [B, Lk] (BOOL/U8, nonzero = attend) or null. Writes out [B, H, Lq, D] and, if not null,
     * lse [B, H, Lq] (log-sum-exp of the scaled scores, -inf for fully masked rows, whose output is zero).
     */
    void attention(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse);

    /** Gradients of {@link #attention}: given out, lse and dOut, writes dq, dk, dv (same shapes as q, k, v). */
    void attentionBackward(AttentionSpec spec, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                           Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv);

    /**
     * 2-D convolution. x [N, Cin, H, W], w [Cout, Cin, kh, kw], bias [Cout] or null; stride (sh, sw);
     * padding (top, bottom, left, right) with zeros. out [N, Cout, Ho, Wo].
     */
    void conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, Tensor out);

    /**
     * Gradient of {@link #conv2d} with respect to x: dx [N, Cin, H, W] (F32; H and W from dx's shape, since a
     * stride above 1 loses them) from dOut [N, Cout, Ho, Wo] and w [Cout, Cin, kh, kw] (F32, BF16 or F16).
     */
    void conv2dBackwardInput(Tensor dOut, Tensor w, int[] stride, int[] padding, Tensor dx);

    /**
     * Gradient of {@link #conv2d} with respect to w: dw [Cout, Cin, kh, kw] (F32) = sum over images and output
     * pixels of dOut times the input patch; deterministic whatever the number of threads.
     */
    void conv2dBackwardWeight(Tensor x, Tensor dOut, int[] stride, int[] padding, Tensor dw);

    /** out = x.index_select(dim, index) with index I64 or I32 of rank 1. */
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out);

    /** dst.index_add_(dim, index, src): dst[.., index[i], ..] += src[.., i, ..]. */
    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /**
     * One AdamW update in place, as torch.optim.AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * param = param (1 - lr wd) - lr / (1 - b1^step) * m / (sqrt(v) / sqrt(1 - b2^step) + eps).
     * param, m and v are contiguous F32; grad is F32 of the same shape; step counts from 1.
     */
    void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                   double eps, double weightDecay, long step);
}
