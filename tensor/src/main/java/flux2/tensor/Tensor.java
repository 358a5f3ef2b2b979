package flux2.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An n-dimensional array over off-heap memory: a dtype, a shape, strides and an offset (both in elements)
 * into a {@link Storage}. Views (reshape, permute, narrow, expand, ...) share the storage; operations
 * allocate their results in {@link TensorArena#current()}.
 */
public final class Tensor {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;

    public Tensor(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {
        if (shape.length != strides.length) throw new IllegalArgumentException("shape and strides differ in rank");
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** Zero-filled tensor on the CPU in the current arena. */
    public static Tensor zeros(DType dtype, int... shape) {
        return allocate(Backends.cpu(), dtype, shape, TensorArena.current());
    }

    /** Zero-filled tensor on {@code backend} in {@code arena}. */
    public static Tensor allocate(Backend backend, DType dtype, int[] shape, TensorArena arena) {
        long n = Shapes.numel(shape);
        MemorySegment seg = backend.allocate(dtype.bytesFor(n), arena);
        return new Tensor(new Storage(backend, seg, false), dtype, shape, Shapes.contiguousStrides(shape), 0);
    }

    /** A new tensor like this one (same backend), contiguous, in the current arena. */
    public Tensor newEmpty(DType dt, int... shp) {
        return allocate(backend(), dt, shp, TensorArena.current());
    }

    public static Tensor full(DType dtype, double value, int... shape) {
        Tensor t = zeros(dtype, shape);
        if (value != 0) t.backend().fill(t, value);
        return t;
    }

    public static Tensor of(float[] data, int... shape) {
        if (Shapes.numel(shape) != data.length)
            throw new IllegalArgumentException(data.length + " values do not fill shape " + Arrays.toString(shape));
        Tensor t = zeros(DType.F32, shape);
        MemorySegment.copy(data, 0, t.storage.segment(), F32, 0, data.length);
        return t;
    }

    public static Tensor ofLongs(long[] data, int... shape) {
        if (Shapes.numel(shape) != data.length)
            throw new IllegalArgumentException(data.length + " values do not fill shape " + Arrays.toString(shape));
        Tensor t = zeros(DType.I64, shape);
        MemorySegment.copy(data, 0, t.storage.segment(), I64, 0, data.length);
        return t;
    }

    public static Tensor scalar(float v) { return of(new float[]{v}); }

    /** Values 0, 1, ..., n-1 as F32. */
    public static Tensor arange(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return of(v, n);
    }

    // ---------------------------------------------------------------- metadata

    public Storage storage() { return storage; }
    public Backend backend() { return storage.backend(); }
    public DType dtype() { return dtype; }
    public int[] shape() { return shape.clone(); }
    public long[] strides() { return strides.clone(); }
    public long offset() { return offset; }
    public int rank() { return shape.length; }
    public long numel() { return Shapes.numel(shape); }

    /** Size of axis {@code axis} (negative counts from the end). */
    public int size(int axis) { return shape[Shapes.axis(axis, shape.length)]; }

    public long stride(int axis) { return strides[Shapes.axis(axis, shape.length)]; }

    /** The segment of the storage; kernels address elements as (offset + sum(index * stride)) * element size. */
    public MemorySegment segment() { return storage.segment(); }

    /** Byte offset of the first element. */
    public long byteOffset() { return dtype.bytesFor(offset); }

    public boolean isContiguous() {
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    // ---------------------------------------------------------------- views

    private Tensor view(int[] shp, long[] str, long off) { return new Tensor(storage, dtype, shp, str, off); }

    /** Same data, new shape; one dimension may be -1. A view when the strides allow it, else a copy. */
    public Tensor reshape(int... newShape) {
        int[] shp = inferShape(newShape);
        if (Shapes.numel(shp) != numel())
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        long[] str = viewStrides(shp);
        if (str != null) return view(shp, str, offset);
        return contiguous().reshape(shp);
    }

    private int[] inferShape(int[] s) {
        int[] out = s.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("only one -1 allowed in " + Arrays.toString(s));
                infer = i;
            } else known *= out[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0)
                throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(s));
            out[infer] = (int) (numel() / known);
        }
        return out;
    }

    /** Strides for viewing this tensor with shape shp without copying, or null if impossible. */
    private long[] viewStrides(int[] shp) {
        if (dtype.isPacked()) return isContiguous() ? Shapes.contiguousStrides(shp) : null;
        if (numel() == 0 || shape.length == 0) return Shapes.contiguousStrides(shp);
        // Walk this tensor's axes from the last, grouping runs that are contiguous among themselves
        // ("chunks"); the new axes must split each chunk exactly.
        long[] out = new long[shp.length];
        int vd = shp.length - 1;
        long chunkBase = strides[shape.length - 1];
        long tensorNumel = 1, viewNumel = 1;
        for (int td = shape.length - 1; td >= 0; td--) {
            tensorNumel *= shape[td];
            if (td == 0 || (shape[td - 1] != 1 && strides[td - 1] != tensorNumel * chunkBase)) {
                while (vd >= 0 && (viewNumel < tensorNumel || shp[vd] == 1)) {
                    out[vd] = viewNumel * chunkBase;
                    viewNumel *= shp[vd];
                    vd--;
                }
                if (viewNumel != tensorNumel) return null;
                if (td > 0) {
                    chunkBase = strides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return vd == -1 ? out : null;
    }

    /** Axes reordered: result axis i is this tensor's axis perm[i]. */
    public Tensor permute(int... perm) {
        if (perm.length != shape.length) throw new IllegalArgumentException("permute needs " + shape.length + " axes, got " + Arrays.toString(perm));
        int[] shp = new int[perm.length];
        long[] str = new long[perm.length];
        boolean[] seen = new boolean[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int p = Shapes.axis(perm[i], shape.length);
            if (seen[p]) throw new IllegalArgumentException("repeated axis in permute " + Arrays.toString(perm));
            seen[p] = true;
            shp[i] = shape[p];
            str[i] = strides[p];
        }
        return view(shp, str, offset);
    }

    public Tensor transpose(int a, int b) {
        int[] perm = new int[shape.length];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        a = Shapes.axis(a, shape.length);
        b = Shapes.axis(b, shape.length);
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** The last two axes swapped. */
    public Tensor t() { return transpose(-2, -1); }

    /** Elements start..start+length-1 along axis. */
    public Tensor narrow(int axis, int start, int length) {
        int a = Shapes.axis(axis, shape.length);
        if (start < 0 || length < 0 || start + length > shape[a])
            throw new IllegalArgumentException("narrow(" + axis + ", " + start + ", " + length + ") out of range for " + Arrays.toString(shape));
        int[] shp = shape.clone();
        shp[a] = length;
        return view(shp, strides, offset + start * strides[a]);
    }

    /** Elements start, start+step, ... below end along axis (end exclusive). */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = Shapes.axis(axis, shape.length);
        if (step <= 0 || start < 0 || end > shape[a] || start > end)
            throw new IllegalArgumentException("slice(" + axis + ", " + start + ", " + end + ", " + step + ") out of range for " + Arrays.toString(shape));
        int[] shp = shape.clone();
        long[] str = strides.clone();
        shp[a] = (end - start + step - 1) / step;
        str[a] = strides[a] * step;
        return view(shp, str, offset + start * strides[a]);
    }

    /** The sub-tensor at index i of axis, with that axis removed. */
    public Tensor select(int axis, int i) {
        int a = Shapes.axis(axis, shape.length);
        return narrow(a, i, 1).squeeze(a);
    }

    /** Broadcast to shape (size-1 axes repeat with stride 0; new leading axes allowed); -1 keeps a size. */
    public Tensor expand(int... newShape) {
        if (newShape.length < shape.length) throw new IllegalArgumentException("cannot expand " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        int lead = newShape.length - shape.length;
        int[] shp = new int[newShape.length];
        long[] str = new long[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int src = i - lead;
            int want = newShape[i];
            if (src < 0) {
                if (want < 0) throw new IllegalArgumentException("-1 not allowed for a new axis in expand");
                shp[i] = want;
                str[i] = 0;
            } else if (want == -1 || want == shape[src]) {
                shp[i] = shape[src];
                str[i] = strides[src];
            } else if (shape[src] == 1) {
                shp[i] = want;
                str[i] = 0;
            } else {
                throw new IllegalArgumentException("cannot expand " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
            }
        }
        return view(shp, str, offset);
    }

    public Tensor squeeze(int axis) {
        int a = Shapes.axis(axis, shape.length);
        if (shape[a] != 1) throw new IllegalArgumentException("cannot squeeze axis " + axis + " of size " + shape[a]);
        int[] shp = new int[shape.length - 1];
        long[] str = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != a) { shp[j] = shape[i]; str[j++] = strides[i]; }
        return view(shp, str, offset);
    }

    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) throw new IllegalArgumentException("unsqueeze axis " + axis + " out of range for rank " + shape.length);
        int[] shp = new int[shape.length + 1];
        long[] str = new long[shape.length + 1];
        for (int i = 0, j = 0; i < shp.length; i++) {
            if (i == a) { shp[i] = 1; str[i] = a < shape.length ? strides[a] * shape[a] : 1; }
            else { shp[i] = shape[j]; str[i] = strides[j++]; }
        }
        return view(shp, str, offset);
    }

    /** Merges axes start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int s = Shapes.axis(start, shape.length), e = Shapes.axis(end, shape.length);
        int[] shp = new int[shape.length - (e - s)];
        int j = 0;
        for (int i = 0; i < s; i++) shp[j++] = shape[i];
        long m = 1;
        for (int i = s; i <= e; i++) m *= shape[i];
        shp[j++] = Math.toIntExact(m);
        for (int i = e + 1; i < shape.length; i++) shp[j++] = shape[i];
        return reshape(shp);
    }

    /** This tensor if contiguous, else a contiguous copy in the current arena. */
    public Tensor contiguous() {
        if (isContiguous()) return this;
        Tensor out = newEmpty(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** A contiguous copy in dtype dt (this tensor itself if it already is one). */
    public Tensor to(DType dt) {
        if (dt == dtype && isContiguous()) return this;
        Tensor out = newEmpty(dt, shape);
        backend().copy(this, out);
        return out;
    }

    /**
     * This tensor on {@code target} (itself if it is already there): a contiguous copy in the current arena,
     * moved between host and device memory through the backends' upload and download.
     */
    public Tensor to(Backend target) {
        if (target == backend()) return this;
        Tensor out = allocate(target, dtype, shape, TensorArena.current());
        if (backend().isHost()) {
            target.upload(this, out);
        } else if (target.isHost()) {
            backend().download(this, out);
        } else {
            Tensor host = allocate(Backends.cpu(), dtype, shape, TensorArena.current());
            backend().download(this, host);
            target.upload(host, out);
        }
        return out;
    }

    /** A contiguous copy in {@code arena}, for results that must outlive the current arena. */
    public Tensor copyTo(TensorArena arena) {
        Tensor out = allocate(backend(), dtype, shape, arena);
        backend().copy(this, out);
        return out;
    }

    /** Copies src (same shape, any dtype, any backend: moved here first) into this tensor. */
    public Tensor copyFrom(Tensor src) {
        if (!Arrays.equals(shape, src.shape))
            throw new IllegalArgumentException("copy from " + Arrays.toString(src.shape) + " into " + Arrays.toString(shape));
        if (src.backend() != backend()) {
            if (!backend().isHost() && src.dtype() == dtype) {
                backend().upload(src.backend().isHost() ? src : src.to(Backends.cpu()), this);
                return this;
            }
            src = src.to(backend());
        }
        backend().copy(src, this);
        return this;
    }

    public Tensor fill(double v) {
        backend().fill(this, v);
        return this;
    }

    // ---------------------------------------------------------------- eager math

    public Tensor add(Tensor o) { return Ops.binary(BinaryOp.ADD, this, o); }
    public Tensor sub(Tensor o) { return Ops.binary(BinaryOp.SUB, this, o); }
    public Tensor mul(Tensor o) { return Ops.binary(BinaryOp.MUL, this, o); }
    public Tensor div(Tensor o) { return Ops.binary(BinaryOp.DIV, this, o); }
    public Tensor maximum(Tensor o) { return Ops.binary(BinaryOp.MAX, this, o); }
    public Tensor minimum(Tensor o) { return Ops.binary(BinaryOp.MIN, this, o); }
    public Tensor pow(Tensor o) { return Ops.binary(BinaryOp.POW, this, o); }

    public Tensor add(double c) { return Ops.unary(UnaryOp.AFFINE, this, 1, c); }
    public Tensor sub(double c) { return Ops.unary(UnaryOp.AFFINE, this, 1, -c); }
    public Tensor mul(double c) { return Ops.unary(UnaryOp.AFFINE, this, c, 0); }
    public Tensor div(double c) { return Ops.unary(UnaryOp.AFFINE, this, 1 / c, 0); }
    public Tensor pow(double p) { return Ops.unary(UnaryOp.POW, this, p, 0); }
    public Tensor clamp(double lo, double hi) { return Ops.unary(UnaryOp.CLAMP, this, lo, hi); }
    public Tensor neg() { return Ops.unary(UnaryOp.NEG, this, 0, 0); }
    public Tensor exp() { return Ops.unary(UnaryOp.EXP, this, 0, 0); }
    public Tensor log() { return Ops.unary(UnaryOp.LOG, this, 0, 0); }
    public Tensor sqrt() { return Ops.unary(UnaryOp.SQRT, this, 0, 0); }
    public Tensor rsqrt() { return Ops.unary(UnaryOp.RSQRT, this, 0, 0); }
    public Tensor tanh() { return Ops.unary(UnaryOp.TANH, this, 0, 0); }
    public Tensor sigmoid() { return Ops.unary(UnaryOp.SIGMOID, this, 0, 0); }
    public Tensor silu() { return Ops.unary(UnaryOp.SILU, this, 0, 0); }
    public Tensor gelu() { return Ops.unary(UnaryOp.GELU, this, 0, 0); }
    public Tensor geluTanh() { return Ops.unary(UnaryOp.GELU_TANH, this, 0, 0); }
    public Tensor abs() { return Ops.unary(UnaryOp.ABS, this, 0, 0); }
    public Tensor square() { return Ops.unary(UnaryOp.SQUARE, this, 0, 0); }
    public Tensor sign() { return Ops.unary(UnaryOp.SIGN, this, 0, 0); }
    public Tensor sin() { return Ops.unary(UnaryOp.SIN, this, 0, 0); }
    public Tensor cos() { return Ops.unary(UnaryOp.COS, this, 0, 0); }
    public Tensor erf() { return Ops.unary(UnaryOp.ERF, this, 0, 0); }
    public Tensor reciprocal() { return Ops.unary(UnaryOp.RECIPROCAL, this, 0, 0); }

    /** Sum over axes (all if none given), dropping them. */
    public Tensor sum(int... axes) { return Ops.reduce(ReduceOp.SUM, this, false, axes); }
    public Tensor sumKeepDim(int... axes) { return Ops.reduce(ReduceOp.SUM, this, true, axes); }
    public Tensor mean(int... axes) { return Ops.reduce(ReduceOp.MEAN, this, false, axes); }
    public Tensor meanKeepDim(int... axes) { return Ops.reduce(ReduceOp.MEAN, this, true, axes); }
    public Tensor max(int... axes) { return Ops.reduce(ReduceOp.MAX, this, false, axes); }
    public Tensor argmax(int axis) { return Ops.reduce(ReduceOp.ARGMAX, this, false, axis); }

    /** Softmax over the last axis. */
    public Tensor softmax() { return Ops.softmax(this); }

    /** Matrix product over the last two axes with broadcast batch axes. */
    public Tensor matmul(Tensor b) { return Ops.matmul(this, b); }

    // ---------------------------------------------------------------- element access (tests, small data)

    private long elementIndex(int... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("index rank " + idx.length + " for rank " + shape.length);
        long e = offset;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " for shape " + Arrays.toString(shape));
            e += idx[i] * strides[i];
        }
        return e;
    }

    /** The element at idx as a double (read through the host for a device tensor). */
    public double get(int... idx) {
        long e = elementIndex(idx);
        if (!backend().isHost()) return element(e).to(Backends.cpu()).readAt(0);
        return readAt(e);
    }

    /** Writes the element at idx (through the host for a device tensor). */
    public void set(double v, int... idx) {
        long e = elementIndex(idx);
        if (!backend().isHost()) {
            Tensor one = zeros(dtype);
            one.writeAt(0, v);
            backend().upload(one, element(e));
            return;
        }
        writeAt(e, v);
    }

    /** The element at absolute element index e as a rank-0 view. */
    private Tensor element(long e) { return view(new int[0], new long[0], e); }

    /** Reads the element at absolute element index e (offset included) of the storage. */
    double readAt(long e) {
        MemorySegment s = storage.segment();
        return switch (dtype) {
            case F32 -> s.get(F32, e * 4);
            case BF16 -> Half.bf16ToFloat(s.get(I16, e * 2));
            case F16 -> Half.f16ToFloat(s.get(I16, e * 2));
            case I64 -> s.get(I64, e * 8);
            case I32 -> s.get(I32, e * 4);
            case I8 -> s.get(ValueLayout.JAVA_BYTE, e);
            case U8, BOOL -> s.get(ValueLayout.JAVA_BYTE, e) & 0xff;
            case I4 -> {
                int b = s.get(ValueLayout.JAVA_BYTE, e >> 1);
                int nib = (e & 1) == 0 ? b & 0xf : (b >> 4) & 0xf;
                yield (nib << 28) >> 28;
            }
        };
    }

    void writeAt(long e, double v) {
        MemorySegment s = storage.segment();
        switch (dtype) {
            case F32 -> s.set(F32, e * 4, (float) v);
            case BF16 -> s.set(I16, e * 2, Half.floatToBf16((float) v));
            case F16 -> s.set(I16, e * 2, Half.floatToF16((float) v));
            case I64 -> s.set(I64, e * 8, (long) v);
            case I32 -> s.set(I32, e * 4, (int) v);
            case I8, U8, BOOL -> s.set(ValueLayout.JAVA_BYTE, e, (byte) (long) v);
            case I4 -> {
                int b = s.get(ValueLayout.JAVA_BYTE, e >> 1);
                int nib = ((int) v) & 0xf;
                b = (e & 1) == 0 ? (b & 0xf0) | nib : (b & 0x0f) | (nib << 4);
                s.set(ValueLayout.JAVA_BYTE, e >> 1, (byte) b);
            }
        }
    }

    /** All elements in row-major order as floats. */
    public float[] toFloatArray() {
        if (!backend().isHost()) return to(Backends.cpu()).toFloatArray();
        Tensor c = to(DType.F32);
        float[] out = new float[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), F32, c.byteOffset(), out, 0, out.length);
        return out;
    }

    /** All elements in row-major order as longs. */
    public long[] toLongArray() {
        if (!backend().isHost()) return to(Backends.cpu()).toLongArray();
        Tensor c = to(DType.I64);
        long[] out = new long[Math.toIntExact(c.numel())];
        MemorySegment.copy(c.segment(), I64, c.byteOffset(), out, 0, out.length);
        return out;
    }

    /** The single element of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new IllegalStateException("item() of a tensor with " + numel() + " elements");
        if (!backend().isHost()) return element(offset).to(Backends.cpu()).readAt(0);
        return readAt(offset);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + (isContiguous() ? "" : " strided") + "]";
    }
}
