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
 * A frozen weight W [out, in] in a quantized format: the packed values ({@link DType#I8} [out, in], {@link DType#U8}
 * e4m3fn bits [out, in] for fp8, or {@link DType#I4} [out, in rounded up to even] so that every row starts on a whole
 * byte), F32 scales ([out] for int8 and fp8,
 * [out, ceil(in / group)] for int4), for int4 with zero points F32 zeros shaped like the scales, and for schemes
 * with column scales F32 [in] ({@link ColumnScales}). Products with it decode W panel by panel inside the blocked GEMM, so no full-precision
 * copy of W ever exists.
 */
public final class QuantizedWeight {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final QuantScheme scheme;
    private final Tensor data, scale, zero, columnScale;
    private final int out, in;
    private final long rowBytes;

    /** Wraps existing tensors whose values are [out, in] (int4: [out, in] with in even); checks dtypes and shapes. */
    public QuantizedWeight(QuantScheme scheme, Tensor data, Tensor scale, Tensor zero, Tensor columnScale) {
        this(scheme, data.rank() == 2 ? data.size(1) : 0, data, scale, zero, columnScale);
    }

    /**
     * Wraps existing tensors (for example views of a loaded checkpoint) of a weight with {@code in} inputs; checks
     * their dtypes and shapes.
     */
    public QuantizedWeight(QuantScheme scheme, int in, Tensor data, Tensor scale, Tensor zero, Tensor columnScale) {
        this.scheme = scheme;
        this.data = data;
        this.scale = scale;
        this.zero = zero;
        this.columnScale = columnScale;
        List<String> problems = new ArrayList<>();
        if (data.rank() != 2) problems.add("values must be 2-D [out, in], got " + Arrays.toString(data.shape()));
        this.out = data.rank() == 2 ? data.size(0) : 0;
        this.in = in;
        boolean int4 = scheme.format() == QuantFormat.INT4;
        DType want = valueType(scheme);
        if (in < 1) problems.add("input size must be positive, got " + in);
        if (data.dtype() != want) problems.add("values must be " + want + " for " + scheme.id() + ", got " + data.dtype());
        if (!data.isContiguous()) problems.add("values must be contiguous");
        int width = storedWidth(scheme, in);
        if (data.rank() == 2 && data.size(1) != width)
            problems.add("values must be [" + out + ", " + width + "] for " + in + " inputs" + (int4 ? " (rows padded to whole bytes)" : "")
                    + ", got " + Arrays.toString(data.shape()));
        this.rowBytes = want.bytesFor(width);
        int[] sShape = int4 ? new int[]{out, scheme.groups(in)} : new int[]{out};
        checkScales("scales", scale, sShape, problems);
        if (scheme.zeroPoint()) checkScales("zeros", zero, sShape, problems);
        else if (zero != null) problems.add("scheme " + scheme.id() + " has no zero points, but zeros were given");
        if (scheme.columnScales()) checkScales("column scales", columnScale, new int[]{in}, problems);
        else if (columnScale != null) problems.add("scheme " + scheme.id() + " has no column scales, but column scales were given");
        if (!problems.isEmpty()) throw new IllegalArgumentException("bad quantized weight (" + scheme.id() + "): " + String.join("; ", problems));
    }

    /** Width of the stored value rows for {@code in} inputs: in for int8 and fp8, in rounded up to even for int4. */
    static int storedWidth(QuantScheme scheme, int in) {
        return scheme.format() == QuantFormat.INT4 ? in + (in & 1) : in;
    }

    /** The dtype of the stored values: I8 for int8, I4 for int4, U8 (the e4m3fn bits) for fp8. */
    static DType valueType(QuantScheme scheme) {
        return switch (scheme.format()) {
            case INT8 -> DType.I8;
            case INT4 -> DType.I4;
            case FP8_E4M3 -> DType.U8;
        };
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
        QuantizedWeight q = empty(scheme, out, in, arena);
        QuantFormat format = scheme.format();
        int groups = scheme.groups(in);
        float[] columns = scheme.columnScales() ? columnAbsMax(w, probe) : null;
        // a NaN or infinity anywhere makes its column's maximum non-finite: the values are looked at only then
        if (columns != null && !allFinite(columns)) throw nonFinite(w, probe);
        if (columns != null) MemorySegment.copy(columns, 0, q.columnScale.segment(), F, q.columnScale.byteOffset(), in);
        long rowBytes = q.rowBytes;
        MemorySegment d = q.data.segment(), s = q.scale.segment(), z = q.zero == null ? null : q.zero.segment();
        long[] bad = new long[Parallel.threads()], firstBad = new long[Parallel.threads()];
        Arrays.fill(firstBad, Long.MAX_VALUE);
        Parallel.forRange(out, 1, (worker, r0, r1) -> {
            WeightRows rows = r0 == 0 ? probe : new WeightRows(w);
            float[] row = new float[in], sc = new float[groups], zs = new float[groups];
            byte[] packed = new byte[(int) rowBytes], unpacked = format == QuantFormat.INT4 ? new byte[in] : null;
            for (int r = (int) r0; r < r1; r++) {
                rows.read(r, row);
                if (columns != null) ColumnScales.divide(row, columns, in);
                switch (format) {
                    case INT8 -> sc[0] = Int8Codec.quantizeRow(row, in, packed);
                    case FP8_E4M3 -> sc[0] = Fp8Codec.quantizeRow(row, in, packed);
                    case INT4 -> Int4Codec.quantizeRow(row, in, scheme.groupSize(), scheme.zeroPoint(), packed, sc, zs, unpacked);
                }
                // without column scales a NaN or infinity makes its group's scale non-finite (max and min propagate
                // them): the row's values are looked at only then
                if (!allFinite(sc))
                    for (int c = 0; c < in; c++)
                        if (!Float.isFinite(row[c])) {
                            bad[worker]++;
                            firstBad[worker] = Math.min(firstBad[worker], (long) r * in + c);
                        }
                MemorySegment.copy(packed, 0, d, ValueLayout.JAVA_BYTE, r * rowBytes, packed.length);
                MemorySegment.copy(sc, 0, s, F, 4L * r * groups, groups);
                if (z != null) MemorySegment.copy(zs, 0, z, F, 4L * r * groups, groups);
            }
        });
        long count = 0, first = Long.MAX_VALUE;
        for (int k = 0; k < bad.length; k++) {
            count += bad[k];
            first = Math.min(first, firstBad[k]);
        }
        if (count > 0) throw nonFiniteError(count, first, in);
        return q;
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) if (!Float.isFinite(x)) return false;
        return true;
    }

    /** The error for a weight holding NaN or infinity, after counting them (only on that path). */
    private static IllegalArgumentException nonFinite(Tensor w, WeightRows rows) {
        int out = w.size(0), in = w.size(1);
        float[] row = new float[in];
        long count = 0, first = Long.MAX_VALUE;
        for (int r = 0; r < out; r++) {
            rows.read(r, row);
            for (int c = 0; c < in; c++)
                if (!Float.isFinite(row[c])) {
                    count++;
                    first = Math.min(first, (long) r * in + c);
                }
        }
        return nonFiniteError(count, first, in);
    }

    private static IllegalArgumentException nonFiniteError(long count, long first, int in) {
        return new IllegalArgumentException("holds " + count + " non-finite value" + (count == 1 ? "" : "s") + " (NaN or infinity; the first at row "
                + first / in + ", column " + first % in + "): it cannot be quantized");
    }

    /** max over rows of |w[r, i]| for every input column i, reading the rows in parallel. */
    private static float[] columnAbsMax(Tensor w, WeightRows probe) {
        int out = w.size(0), in = w.size(1);
        float[] max = new float[in];
        Parallel.forRange(out, 16, (worker, r0, r1) -> {
            WeightRows rows = r0 == 0 ? probe : new WeightRows(w);
            float[] row = new float[in], local = new float[in];
            for (int r = (int) r0; r < r1; r++) {
                rows.read(r, row);
                // Math.max propagates NaN, so a non-finite value leaves its column's maximum non-finite
                for (int i = 0; i < in; i++) local[i] = Math.max(local[i], Math.abs(row[i]));
            }
            synchronized (max) {
                for (int i = 0; i < in; i++) max[i] = Math.max(max[i], local[i]);
            }
        });
        return max;
    }

    /** A zero weight of the given scheme and shape, to be loaded into. */
    public static QuantizedWeight empty(QuantScheme scheme, int out, int in, TensorArena arena) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("a quantized weight needs positive sizes, got " + out + "x" + in);
        int[] sShape = scheme.format() == QuantFormat.INT4 ? new int[]{out, scheme.groups(in)} : new int[]{out};
        var cpu = Backends.cpu();
        return new QuantizedWeight(scheme, in, Tensor.allocate(cpu, valueType(scheme), new int[]{out, storedWidth(scheme, in)}, arena),
                Tensor.allocate(cpu, DType.F32, sShape, arena),
                scheme.zeroPoint() ? Tensor.allocate(cpu, DType.F32, sShape, arena) : null,
                scheme.columnScales() ? Tensor.allocate(cpu, DType.F32, new int[]{in}, arena) : null);
    }

    public QuantScheme scheme() { return scheme; }

    /** The packed values, I8 [out, in], I4 [out, in rounded up to even] or U8 e4m3fn bits [out, in]. */
    public Tensor data() { return data; }

    public Tensor scale() { return scale; }

    /** Zero points, or null for symmetric schemes. */
    public Tensor zero() { return zero; }

    /** Scales per input column [in], or null for schemes without them. */
    public Tensor columnScale() { return columnScale; }

    public int outFeatures() { return out; }

    public int inFeatures() { return in; }

    public int[] shape() { return new int[]{out, in}; }

    /** Bytes held: packed values, scales and zeros. */
    public long byteSize() {
        return data.dtype().bytesFor(data.numel()) + 4 * scale.numel() + (zero == null ? 0 : 4 * zero.numel())
                + (columnScale == null ? 0 : 4 * columnScale.numel());
    }

    /** Decodes elements [i0, i0 + len) of row r into dst[di...]. */
    void decodeRow(int r, int i0, int len, float[] dst, int di) {
        if (scheme.format() == QuantFormat.INT8) {
            float s = scale.segment().get(F, scale.byteOffset() + 4L * r);
            Int8Codec.decode(data.segment(), data.byteOffset() + r * rowBytes + i0, s, dst, di, len);
        } else if (scheme.format() == QuantFormat.FP8_E4M3) {
            float s = scale.segment().get(F, scale.byteOffset() + 4L * r);
            Fp8Codec.decode(data.segment(), data.byteOffset() + r * rowBytes + i0, s, dst, di, len);
        } else {
            int groups = scheme.groups(in);
            Int4Codec.decode(data.segment(), data.byteOffset() + r * rowBytes,
                    scale.segment(), scale.byteOffset() + 4L * r * groups,
                    zero == null ? null : zero.segment(), zero == null ? 0 : zero.byteOffset() + 4L * r * groups,
                    scheme.groupSize(), i0, len, dst, di);
        }
        if (columnScale != null) ColumnScales.multiply(columnScale.segment(), columnScale.byteOffset() + 4L * i0, dst, di, len);
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
