package flux2.tensor;

import flux2.tensor.ops.AdamWStep;
import flux2.tensor.ops.AttentionDims;
import flux2.tensor.ops.ConvGeometry;
import flux2.tensor.ops.GroupNormDims;
import flux2.tensor.ops.IndexAxis;
import flux2.tensor.ops.MatmulDims;
import flux2.tensor.ops.ModulationDims;
import flux2.tensor.ops.NormBackwardDims;
import flux2.tensor.ops.Reduction;
import flux2.tensor.ops.RopeTable;
import flux2.tensor.ops.RowNormDims;
import java.lang.foreign.MemorySegment;

/**
 * The kernels a device provides. Every method writes into an output tensor that the caller allocated with
 * the right shape and dtype; inputs may be strided views. Operations not listed here are composed from these.
 * A new backend implements this interface and passes the same parity tests as the CPU backend.
 *
 * <p>Operand contracts are checked once, before a backend is called: by the fronts that allocate the outputs
 * ({@link Ops}, {@link NN}, {@link Layouts}, {@link Tensor}), which pass what they checked as a record of
 * {@code flux2.tensor.ops} (sizes, axes, geometry). A backend trusts that record and the operands it describes
 * and does not check them again; it only refuses what it cannot run (a tensor of another backend, a size
 * beyond its kernels). docs/ops.md lists every operation with its front, record, kernels and tests.
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

    /**
     * Whether every operation queued so far has completed, without waiting (true at once on a host backend): a
     * collective that waits with a timeout polls it.
     */
    default boolean isIdle() { return true; }

    /**
     * Calls {@code call} with this backend's native queue (a CUstream, a cl_command_queue; NULL on a host backend)
     * and, where the driver needs one, the device's context current on the calling thread, in order with this
     * backend's operations: what a collectives library enqueues there runs after the work queued before it.
     */
    default <T> T withNativeQueue(java.util.function.Function<MemorySegment, T> call) { return call.apply(MemorySegment.NULL); }

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

    /** out = op(x, p0, p1); x has out's shape (broadcast views allowed), out is floating point. */
    void unary(UnaryOp op, Tensor x, double p0, double p1, Tensor out);

    /** out = op(a, b); a and b have out's shape (expanded views with zero strides allowed), out is floating point. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** out (shape {@link Reduction#keptShape}, I64 for ARGMAX, else floating) = the reduction r of x. */
    void reduce(Reduction r, Tensor x, Tensor out);

    /** Softmax over the last axis; out has x's shape and is floating point. */
    void softmax(Tensor x, Tensor out);

    /** LayerNorm over the last axis; weight and bias [width] or null; out has x's shape. */
    void layerNorm(RowNormDims dims, Tensor x, Tensor weight, Tensor bias, Tensor out);

    /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight; weight [width] or null; out has x's shape. */
    void rmsNorm(RowNormDims dims, Tensor x, Tensor weight, Tensor out);

    /**
     * FLUX.2's adaptive LayerNorm in one pass: out = (1 + scale) * LayerNorm(x) + shift, the LayerNorm without
     * weight or bias; x [..., L, D], shift and scale [..., 1, D] (any strides); out has x's shape.
     */
    void modulatedLayerNorm(ModulationDims dims, Tensor x, Tensor shift, Tensor scale, Tensor out);

    /**
     * Backward of {@link #layerNorm}, {@link #rmsNorm} and {@link #modulatedLayerNorm} (see
     * {@link NormBackwardDims}): weight is the norm's weight, the modulation's scale or null; dOut has x's shape.
     * Writes dx (x's shape), dWeight and dBias (dense F32 of weight's shape, one row per group: the sums of
     * dOut * xhat and of dOut), each skipped when null; dWeight needs a weight.
     */
    void normBackward(NormBackwardDims dims, Tensor x, Tensor weight, Tensor dOut, Tensor dx, Tensor dWeight, Tensor dBias);

    /** GroupNorm of x [N, C, *] over C/groups channels and all spatial positions; weight and bias [C] or null. */
    void groupNorm(GroupNormDims dims, Tensor x, Tensor weight, Tensor bias, Tensor out);

    /**
     * Rotary embedding of x [..., L, D]: each channel pair (a, b) becomes (a cos - b sin, a sin + b cos), with
     * the table's cos and sin [..., L, D/2] already expanded to x's leading axes; out has x's shape.
     */
    void rope(RopeTable table, Tensor x, Tensor out);

    /**
     * out[..., M, N] = a[..., M, K] x b[..., K, N] (+ out if {@code accumulate}), shapes as {@code dims} says
     * (a and b expanded to its batch axes). a is F32; b is F32 or BF16 (a transposed weight is a strided view,
     * never expanded to a copy); out is F32.
     */
    void matmul(MatmulDims dims, Tensor a, Tensor b, Tensor out, boolean accumulate);

    /**
     * Fused attention. q [B, H, Lq, D], k [B, Hkv, Lk, D] and v [B, Hkv, Lk, Dv] with H a multiple of Hkv
     * (grouped-query); keyMask [B, Lk] (BOOL/U8, nonzero = attend) or null. Writes out [B, H, Lq, Dv] and, if
     * not null, lse [B, H, Lq] (log-sum-exp of the scaled scores, -inf for fully masked rows, whose output is
     * zero); both floating point.
     */
    void attention(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out, Tensor lse);

    /** Gradients of {@link #attention}: given out, lse and dOut, writes dq, dk, dv (same shapes as q, k, v). */
    void attentionBackward(AttentionDims dims, Tensor q, Tensor k, Tensor v, Tensor keyMask, Tensor out,
                           Tensor lse, Tensor dOut, Tensor dq, Tensor dk, Tensor dv);

    /**
     * 2-D convolution. x [N, Cin, H, W], w [Cout, Cin, kh, kw], bias [Cout] or null; stride and zero padding as
     * in {@code g}. out [N, Cout, Ho, Wo], F32.
     */
    void conv2d(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor out);

    /**
     * Gradient of {@link #conv2d} with respect to x: dx [N, Cin, H, W] (F32) from dOut [N, Cout, Ho, Wo] and
     * w [Cout, Cin, kh, kw] (F32, BF16 or F16).
     */
    void conv2dBackwardInput(ConvGeometry g, Tensor dOut, Tensor w, Tensor dx);

    /**
     * Gradient of {@link #conv2d} with respect to w: dw [Cout, Cin, kh, kw] (F32) = sum over images and output
     * pixels of dOut times the input patch; deterministic whatever the number of threads.
     */
    void conv2dBackwardWeight(ConvGeometry g, Tensor x, Tensor dOut, Tensor dw);

    /** out = x.index_select(axis, index) with index I64 or I32 of rank 1 holding {@link IndexAxis#indices}. */
    void indexSelect(IndexAxis ix, Tensor x, Tensor index, Tensor out);

    /** dst.index_add_(axis, index, src): dst[.., index[i], ..] += src[.., i, ..]; repeated indices accumulate. */
    void indexAdd(IndexAxis ix, Tensor dst, Tensor index, Tensor src);

    /** One AdamW update in place (see {@link AdamWStep}); param, grad, m and v are contiguous F32 of one shape. */
    void adamwStep(AdamWStep step, Tensor param, Tensor grad, Tensor m, Tensor v);
}
