package flux2.trainer.train;

import flux2.autograd.nn.Parameter;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.Reduction;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sum over ranks of every trainable parameter's gradient, as DDP does it: the gradients are copied into a few flat
 * F32 buffers on the parameters' device (at most {@link #BUCKET_ELEMENTS} elements each, allocated once), each buffer
 * is all-reduced in one call, and the sums are copied back. The first buffer carries one more element, the rank's
 * share of the loss, so the loss of the whole batch comes with the gradients. A parameter without a gradient on this
 * rank (its share of a short batch was empty) contributes zeros and receives the sum.
 */
final class GradientBuckets {
    static final int BUCKET_ELEMENTS = 1 << 26;

    /** How many all-reduce calls one sum makes. */
    int count() { return buckets.size(); }

    private record Bucket(List<Parameter> params, long[] offsets, int size) {}

    private final List<Bucket> buckets = new ArrayList<>();
    private final TensorArena arena;
    private final Map<Parameter, Tensor> spareGrads = new IdentityHashMap<>();
    private Tensor[] flat;

    GradientBuckets(List<Parameter> params, TensorArena arena) {
        this(params, arena, BUCKET_ELEMENTS);
    }

    /** Buckets of at most {@code limit} elements (a parameter larger than that has one of its own). */
    GradientBuckets(List<Parameter> params, TensorArena arena, int limit) {
        this.arena = arena;
        List<Parameter> group = new ArrayList<>();
        List<Long> offs = new ArrayList<>();
        long size = 0;
        for (Parameter p : params) {
            if (!p.trainable()) continue;
            long n = numel(p);
            if (n > Integer.MAX_VALUE - 1) throw new IllegalArgumentException("a parameter of " + n + " elements is larger than one all-reduce buffer");
            if (!group.isEmpty() && size + n > limit) {
                buckets.add(bucket(group, offs, size));
                group = new ArrayList<>();
                offs = new ArrayList<>();
                size = 0;
            }
            group.add(p);
            offs.add(size);
            size += n;
        }
        buckets.add(bucket(group, offs, size));
    }

    /** A bucket of gradients; the first one has one more element, after them, for the loss. */
    private Bucket bucket(List<Parameter> group, List<Long> offs, long size) {
        long[] o = new long[offs.size()];
        for (int i = 0; i < o.length; i++) o[i] = offs.get(i);
        return new Bucket(List.copyOf(group), o, (int) size + (buckets.isEmpty() ? 1 : 0));
    }

    private static long numel(Parameter p) {
        long n = 1;
        for (int d : p.shape()) n *= d;
        return n;
    }

    /** Replaces every gradient by its sum over the ranks and returns the sum of the ranks' {@code loss}. */
    double sum(Collectives c, double loss) {
        if (flat == null) {
            flat = new Tensor[buckets.size()];
            for (int i = 0; i < flat.length; i++) {
                var device = buckets.get(i).params().isEmpty() ? flux2.tensor.Backends.cpu() : buckets.get(i).params().getFirst().value().backend();
                flat[i] = Tensor.allocate(device, DType.F32, new int[] {buckets.get(i).size()}, arena);
            }
        }
        double total = 0;
        for (int i = 0; i < flat.length; i++) {
            Bucket b = buckets.get(i);
            Tensor buf = flat[i];
            for (int k = 0; k < b.params().size(); k++) {
                Parameter p = b.params().get(k);
                Tensor view = view(buf, b.offsets()[k], p);
                Tensor g = p.grad();
                if (g == null) view.fill(0);
                else view.copyFrom(g);
            }
            if (i == 0) buf.narrow(0, b.size() - 1, 1).copyFrom(Tensor.of(new float[] {(float) loss}, 1));
            c.allReduce(buf, Reduction.SUM);
            for (int k = 0; k < b.params().size(); k++) {
                Parameter p = b.params().get(k);
                Tensor g = p.grad();
                if (g == null) {
                    g = spareGrads.computeIfAbsent(p, q -> Tensor.allocate(q.value().backend(), DType.F32, q.shape(), q.arena()));
                    p.var().setGrad(g);
                }
                g.copyFrom(view(buf, b.offsets()[k], p));
            }
            if (i == 0) total = buf.narrow(0, b.size() - 1, 1).toFloatArray()[0];
        }
        return total;
    }

    private static Tensor view(Tensor buf, long offset, Parameter p) {
        return buf.narrow(0, (int) offset, (int) numel(p)).reshape(p.shape());
    }
}
