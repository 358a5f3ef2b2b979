package flux2.quant;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Parallel;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.cpu.GemmPanels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A frozen weight W [out, in] in a quantized format: the packed values ({@link DType#I8} or {@link DType#I4},
 * logical shape [out, in], rows contiguous), F32 scales ([out] for int8, [out, in / group] for int4) and, for
 * int4 with zero points, F32 zeros shaped like the scales. Products with it decode W panel by panel inside the
 * blocked GEMM, so no full-precision copy of W ever exists.
 */
public final class QuantizedWeight {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final QuantScheme scheme;
    private final Tensor data, scale, zero;
    private final int out, in;

    /** Wraps existing tensors (for example views of a loaded checkpoint); checks their dtypes and shapes. */
    public QuantizedWeight(QuantScheme scheme, Tensor data, Tensor scale, Tensor zero) {
        this.scheme = scheme;
        this.data = data;
        this.scale = scale;
        this.zero = zero;
        List<String> problems = new ArrayList<>();
        if (data.rank() != 2) problems.add("values must be 2-D [out, in], got " + Arrays.toString(data.shape()));
        this.out = data.rank() == 2 ? data.size(0) : 0;
        this.in = data.rank() == 2 ? data.size(1) : 0;
        boolean int8 = scheme.format() == QuantFormat.INT8;
        DType want = int8 ? DType.I8 : DType.I4;
        if (data.dtype() != want) problems.add("values must be " + want + " for " + scheme.id() + ", got " + data.dtype());
        if (!data.isContiguous()) problems.add("values must be contiguous");
        if (!int8 && in % scheme.groupSize() != 0)
            problems.add("input size " + in + " is not a multiple of the group size " + scheme.groupSize());
        int[] sShape = int8 ? new int[]{out} : new int[]{out, in / scheme.groupSize()};
        checkScales("scales", scale, sShape, problems);
        if (scheme.zeroPoint()) checkScales("zeros", zero, sShape, problems);
        else if (zero != null) problems.add("scheme " + scheme.id() + " has no zero points, but zeros were given");
        if (!problems.isEmpty()) throw new IllegalArgumentException("bad quantized weight (" + scheme.id() + "): " + String.join("; ", problems));
    }

    private static void checkScales(String what, Tensor t, int[] shape, List<String> problems) {
        if (t == null) problems.add(what + " are missing");
        else if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), shape) || !t.isContiguous())
            problems.add(what + " must be contiguous F32 " + Arrays.toString(shape) + ", got " + t.dtype() + " " + Arrays.toString(t.shape()));
    }

    /**
     * Quantizes a 2-D F32/BF16 weight [out, in] row by row into tensors allocated in {@code arena}. A weight holding
     * NaN or infinity is refused (found from each row's scales as it is quantized, so the weight is read once).
     */
    public static QuantizedWeight quantize(Tensor w, QuantScheme scheme, TensorArena arena) {
        WeightRows probe = new WeightRows(w);
        int out = w.size(0), in = w.size(1);
        boolean int8 = scheme.format() == QuantFormat.INT8;
        int groups = int8 ? 1 : in / scheme.groupSize();
        if (!int8 && in % scheme.groupSize() != 0)
            throw new IllegalArgumentException("cannot quantize a weight with " + in + " inputs in groups of " + scheme.groupSize());
        var cpu = Backends.cpu();
        Tensor data = Tensor.allocate(cpu, int8 ? DType.I8 : DType.I4, new int[]{out, in}, arena);
        Tensor scale = Tensor.allocate(cpu, DType.F32, int8 ? new int[]{out} : new int[]{out, groups}, arena);
        Tensor zero = scheme.zeroPoint() ? Tensor.allocate(cpu, DType.F32, new int[]{out, groups}, arena) : null;
        long rowBytes = data.dtype().bytesFor(in);
        MemorySegment d = data.segment(), s = scale.segment(), z = zero == null ? null : zero.segment();
        long[] bad = new long[Parallel.threads()], firstBad = new long[Parallel.threads()];
        for (int k = 0; k < firstBad.length; k++) firstBad[k] = Long.MAX_VALUE;
        Parallel.forRange(out, 1, (worker, r0, r1) -> {
            WeightRows rows = r0 == 0 ? probe : new WeightRows(w);
            float[] row = new float[in], sc = new float[groups], zs = new float[groups];
            byte[] q = new byte[(int) rowBytes], unpacked = int8 ? null : new byte[in];
            for (int r = (int) r0; r < r1; r++) {
                rows.read(r, row);
                if (int8) sc[0] = Int8Codec.quantizeRow(row, in, q);
                else Int4Codec.quantizeRow(row, in, scheme.groupSize(), scheme.zeroPoint(), q, sc, zs, unpacked);
                // a NaN or infinity makes its group's scale non-finite (max and min propagate them): the values are
                // looked at only then
                for (int g = 0; g < groups; g++)
                    if (!Float.isFinite(sc[g]))
                        for (int c = 0; c < in; c++)
                            if (!Float.isFinite(row[c]) && (c / (in / groups)) == g) {
                                bad[worker]++;
                                firstBad[worker] = Math.min(firstBad[worker], (long) r * in + c);
                            }
                MemorySegment.copy(q, 0, d, ValueLayout.JAVA_BYTE, r * rowBytes, q.length);
                MemorySegment.copy(sc, 0, s, F, 4L * r * groups, groups);
                if (z != null) MemorySegment.copy(zs, 0, z, F, 4L * r * groups, groups);
            }
        });
        long count = 0, first = Long.MAX_VALUE;
        for (int k = 0; k < bad.length; k++) {
            count += bad[k];
            first = Math.min(first, firstBad[k]);
        }
        if (count > 0)
            throw new IllegalArgumentException("holds " + count + " non-finite value" + (count == 1 ? "" : "s") + " (NaN or infinity; the first at row "
                    + first / in + ", column " + first % in + "): it cannot be quantized");
        return new QuantizedWeight(scheme, data, scale, zero);
    }

    /** A zero weight of the given scheme and shape, to be loaded into. */
    public static QuantizedWeight empty(QuantScheme scheme, int out, int in, TensorArena arena) {
        boolean int8 = scheme.format() == QuantFormat.INT8;
        if (!int8 && in % scheme.groupSize() != 0)
            throw new IllegalArgumentException("input size " + in + " is not a multiple of the group size " + scheme.groupSize());
        int[] sShape = int8 ? new int[]{out} : new int[]{out, in / scheme.groupSize()};
        var cpu = Backends.cpu();
        return new QuantizedWeight(scheme, Tensor.allocate(cpu, int8 ? DType.I8 : DType.I4, new int[]{out, in}, arena),
                Tensor.allocate(cpu, DType.F32, sShape, arena),
                scheme.zeroPoint() ? Tensor.allocate(cpu, DType.F32, sShape, arena) : null);
    }

    public QuantScheme scheme() { return scheme; }

    /** The packed values, I8 or I4 [out, in]. */
    public Tensor data() { return data; }

    public Tensor scale() { return scale; }

    /** Zero points, or null for symmetric schemes. */
    public Tensor zero() { return zero; }

    public int outFeatures() { return out; }

    public int inFeatures() { return in; }

    public int[] shape() { return new int[]{out, in}; }

    /** Bytes held: packed values, scales and zeros. */
    public long byteSize() {
        return data.dtype().bytesFor(data.numel()) + 4 * scale.numel() + (zero == null ? 0 : 4 * zero.numel());
    }

    /** Decodes elements [i0, i0 + len) of row r into dst[di...]. */
    void decodeRow(int r, int i0, int len, float[] dst, int di) {
        if (scheme.format() == QuantFormat.INT8) {
            float s = scale.segment().get(F, scale.byteOffset() + 4L * r);
            Int8Codec.decode(data.segment(), data.byteOffset() + (long) r * in + i0, s, dst, di, len);
        } else {
            int groups = in / scheme.groupSize();
            Int4Codec.decode(data.segment(), data.byteOffset() + (long) r * (in / 2),
                    scale.segment(), scale.byteOffset() + 4L * r * groups,
                    zero == null ? null : zero.segment(), zero == null ? 0 : zero.byteOffset() + 4L * r * groups,
                    scheme.groupSize(), i0, len, dst, di);
        }
    }

    /** W as a full F32 tensor [out, in] in the current arena (for checks and small layers only). */
    public Tensor dequantize() {
        Tensor w = Tensor.zeros(DType.F32, out, in);
        float[] row = new float[in];
        for (int r = 0; r < out; r++) {
            decodeRow(r, 0, in, row, 0);
            MemorySegment.copy(row, 0, w.segment(), F, w.byteOffset() + 4L * r * in, in);
        }
        return w;
    }

    /** y = x W^T for x [..., in] (F32 or BF16); y [..., out] F32 in the current arena. */
    public Tensor forward(Tensor x) {
        return product(x, in, out, this::fillTransposed);
    }

    /** dx = dy W for dy [..., out]; dx [..., in] F32 in the current arena (the input gradient of {@link #forward}). */
    public Tensor backwardInput(Tensor dy) {
        return product(dy, out, in, this::fillRows);
    }

    private static Tensor product(Tensor x, int k, int n, GemmPanels.PanelSource panels) {
        if (x.rank() < 1 || x.size(-1) != k)
            throw new IllegalArgumentException("quantized product needs [..., " + k + "], got " + Arrays.toString(x.shape()));
        int[] shape = x.shape();
        int m = Math.toIntExact(x.numel() / k);
        Tensor a = x.dtype() == DType.F32 ? x : x.to(DType.F32);
        a = a.reshape(m, k);
        Tensor y = Tensor.zeros(DType.F32, m, n);
        GemmPanels.multiply(a, panels, y, false);
        shape[shape.length - 1] = n;
        return y.reshape(shape);
    }

    /** A panel of B = W^T (k over inputs, columns over outputs): decode 16 rows, then transpose. */
    private void fillTransposed(int k0, int kc, int n0, int nr, float[] dst, int off, float[] stage) {
        for (int j = 0; j < nr; j++) decodeRow(n0 + j, k0, kc, stage, j * kc);
        final int w = GemmPanels.PANEL_WIDTH;
        if (nr == w) {
            for (int kk = 0, d = off; kk < kc; kk++, d += w)
                for (int j = 0, s = kk; j < w; j++, s += kc) dst[d + j] = stage[s];
        } else {
            for (int kk = 0, d = off; kk < kc; kk++, d += w)
                for (int j = 0; j < w; j++) dst[d + j] = j < nr ? stage[j * kc + kk] : 0f;
        }
    }

    /** A panel of B = W (k over outputs, columns over inputs): each k is a slice of one row of W. */
    private void fillRows(int k0, int kc, int n0, int nr, float[] dst, int off, float[] stage) {
        final int w = GemmPanels.PANEL_WIDTH;
        for (int kk = 0, d = off; kk < kc; kk++, d += w) {
            decodeRow(k0 + kk, n0, nr, dst, d);
            for (int j = nr; j < w; j++) dst[d + j] = 0f;
        }
    }
}
