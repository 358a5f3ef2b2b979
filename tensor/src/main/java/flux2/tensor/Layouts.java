package flux2.tensor;

import flux2.tensor.ops.IndexAxis;
import java.util.Arrays;

/**
 * Layout operations composed from views and the backend's copy, fill, indexSelect and indexAdd:
 * concatenation, splitting, padding, nearest upsampling, pixel (un)shuffle, gather and scatter-add. Results
 * are new tensors in the current arena, except split and chunk, which return views, and indexAdd, which adds
 * into its dst.
 */
public final class Layouts {
    private Layouts() {}

    /** The tensors joined along axis; all have the same rank, dtype and sizes on the other axes. */
    public static Tensor concat(int axis, Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("concat needs at least one tensor");
        Tensor first = tensors[0];
        int a = Shapes.axis(axis, first.rank());
        int[] shape = first.shape();
        long total = 0;
        for (Tensor t : tensors) {
            int[] s = t.shape();
            boolean same = s.length == shape.length;
            for (int i = 0; same && i < s.length; i++) same = i == a || s[i] == shape[i];
            if (!same || t.dtype() != first.dtype())
                throw new IllegalArgumentException("concat on axis " + axis + ": " + describe(t) + " does not match " + describe(first));
            total += s[a];
        }
        shape[a] = Math.toIntExact(total);
        Tensor out = first.newEmpty(first.dtype(), shape);
        int at = 0;
        for (Tensor t : tensors) {
            int n = t.size(a);
            if (n > 0) out.backend().copy(t, out.narrow(a, at, n));
            at += n;
        }
        return out;
    }

    /** Views of consecutive pieces of x along axis with the given sizes, which must add up to its size. */
    public static Tensor[] split(Tensor x, int axis, int... sizes) {
        int a = Shapes.axis(axis, x.rank());
        long sum = 0;
        for (int s : sizes) {
            if (s < 0) throw new IllegalArgumentException("split sizes must not be negative, got " + Arrays.toString(sizes));
            sum += s;
        }
        if (sum != x.size(a))
            throw new IllegalArgumentException("split sizes " + Arrays.toString(sizes) + " add up to " + sum + ", not to the size "
                    + x.size(a) + " of axis " + axis + " of " + Arrays.toString(x.shape()));
        Tensor[] out = new Tensor[sizes.length];
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            out[i] = x.narrow(a, at, sizes[i]);
            at += sizes[i];
        }
        return out;
    }

    /**
     * Views of x cut into at most {@code chunks} pieces along axis, as torch.chunk: each has ceil(size / chunks)
     * elements except possibly a smaller last one (so fewer pieces may come back).
     */
    public static Tensor[] chunk(Tensor x, int axis, int chunks) {
        if (chunks < 1) throw new IllegalArgumentException("chunk count must be positive, got " + chunks);
        int a = Shapes.axis(axis, x.rank());
        int size = x.size(a);
        if (size == 0) {
            Tensor[] out = new Tensor[chunks];
            Arrays.fill(out, x);
            return out;
        }
        int step = Math.ceilDiv(size, chunks), count = Math.ceilDiv(size, step);
        int[] sizes = new int[count];
        for (int i = 0; i < count; i++) sizes[i] = Math.min(step, size - i * step);
        return split(x, a, sizes);
    }

    /**
     * x padded with {@code value} as torch.nn.functional.pad (constant mode): padding holds (before, after) pairs
     * starting from the last axis; negative amounts crop.
     */
    public static Tensor pad(Tensor x, double value, int... padding) {
        int r = x.rank();
        if (padding.length % 2 != 0 || padding.length > 2 * r)
            throw new IllegalArgumentException("pad takes (before, after) pairs for at most " + r + " axes of "
                    + Arrays.toString(x.shape()) + ", got " + Arrays.toString(padding));
        int[] shape = x.shape();
        int[] before = new int[r], after = new int[r];
        boolean grows = false;
        for (int p = 0; p < padding.length / 2; p++) {
            int a = r - 1 - p;
            before[a] = padding[2 * p];
            after[a] = padding[2 * p + 1];
            long size = (long) shape[a] + before[a] + after[a];
            if (size < 0)
                throw new IllegalArgumentException("pad " + Arrays.toString(padding) + " leaves a negative size on axis " + a
                        + " of " + Arrays.toString(x.shape()));
            shape[a] = (int) size;
            grows |= before[a] > 0 || after[a] > 0;
        }
        Tensor out = x.newEmpty(x.dtype(), shape);
        if (grows && value != 0) out.backend().fill(out, value);
        // The part of x that survives cropping lands at max(before, 0) in out.
        Tensor src = x, dst = out;
        for (int a = 0; a < r; a++) {
            int cropStart = Math.max(0, -before[a]), cropEnd = Math.max(0, -after[a]);
            int keep = x.size(a) - cropStart - cropEnd;
            if (keep <= 0) return out;
            src = src.narrow(a, cropStart, keep);
            dst = dst.narrow(a, Math.max(0, before[a]), keep);
        }
        out.backend().copy(src, dst);
        return out;
    }

    /** Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor: [N, C, H*f, W*f]. */
    public static Tensor upsampleNearest(Tensor x, int factor) {
        requireImage("upsampleNearest", x);
        if (factor < 1) throw new IllegalArgumentException("upsampleNearest: factor must be positive, got " + factor);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        Tensor repeated = x.unsqueeze(3).unsqueeze(5).expand(n, c, h, factor, w, factor);
        return materialize(repeated).reshape(n, c, h * factor, w * factor);
    }

    /**
     * x [N, C, H, W] to [N, C*r*r, H/r, W/r] as torch.nn.functional.pixel_unshuffle:
     * out[n, c*r*r + i*r + j, h, w] = x[n, c, h*r + i, w*r + j].
     */
    public static Tensor pixelUnshuffle(Tensor x, int r) {
        requireImage("pixelUnshuffle", x);
        if (r < 1) throw new IllegalArgumentException("pixelUnshuffle: factor must be positive, got " + r);
        int n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        if (h % r != 0 || w % r != 0)
            throw new IllegalArgumentException("pixelUnshuffle: height and width of " + Arrays.toString(x.shape())
                    + " must be multiples of " + r);
        Tensor v = x.reshape(n, c, h / r, r, w / r, r).permute(0, 1, 3, 5, 2, 4);
        return materialize(v).reshape(n, c * r * r, h / r, w / r);
    }

    /** The inverse of {@link #pixelUnshuffle}: x [N, C*r*r, H, W] to [N, C, H*r, W*r]. */
    public static Tensor pixelShuffle(Tensor x, int r) {
        requireImage("pixelShuffle", x);
        if (r < 1) throw new IllegalArgumentException("pixelShuffle: factor must be positive, got " + r);
        int n = x.size(0), crr = x.size(1), h = x.size(2), w = x.size(3);
        if (crr % (r * r) != 0)
            throw new IllegalArgumentException("pixelShuffle: channels of " + Arrays.toString(x.shape())
                    + " must be a multiple of " + r + "*" + r);
        int c = crr / (r * r);
        Tensor v = x.reshape(n, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3);
        return materialize(v).reshape(n, c, h * r, w * r);
    }

    /** x.index_select(dim, index) with index I64 or I32 of rank 1. */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        IndexAxis ix = IndexAxis.select(x, dim, index);
        Tensor out = x.newEmpty(x.dtype(), ix.selectedShape(x));
        x.backend().indexSelect(ix, x, index, out);
        return out;
    }

    /** dst.index_add_(dim, index, src) in place: dst[.., index[i], ..] += src[.., i, ..]; returns dst. */
    public static Tensor indexAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        IndexAxis ix = IndexAxis.add(dst, dim, index, src);
        dst.backend().indexAdd(ix, dst, index, src);
        return dst;
    }

    /** A contiguous copy of a view (always a new tensor, even if the view is already contiguous). */
    private static Tensor materialize(Tensor view) {
        Tensor out = view.newEmpty(view.dtype(), view.shape());
        view.backend().copy(view, out);
        return out;
    }

    private static void requireImage(String op, Tensor x) {
        if (x.rank() != 4) throw new IllegalArgumentException(op + ": x must be [N, C, H, W], got " + Arrays.toString(x.shape()));
    }

    private static String describe(Tensor t) { return t.dtype() + " " + Arrays.toString(t.shape()); }
}
