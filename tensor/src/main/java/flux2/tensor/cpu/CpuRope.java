package flux2.tensor.cpu;

import flux2.tensor.RopeLayout;
import flux2.tensor.Tensor;
import flux2.tensor.ops.RopeTable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary embeddings: every channel pair (a, b) of x [..., L, D] becomes (a cos - b sin, a sin + b cos) with
 * cos, sin [..., L, D/2] broadcast over x's leading axes. INTERLEAVED pairs channels (2i, 2i+1) as FLUX.2 does;
 * ROTATE_HALF pairs (i, i + D/2) as Mistral does (its concat(-x2, x1) form with duplicated cos/sin is the same map).
 */
final class CpuRope {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int SLOT_X = 0, SLOT_COS = 1, SLOT_SIN = 2, SLOT_OUT = 3;

    private CpuRope() {}

    static void rope(RopeTable table, Tensor x, Tensor out) {
        if (x.numel() == 0) return;
        int r = x.rank(), h = table.half(), d = 2 * h;
        RopeLayout layout = table.layout();
        Tensor c = table.cos(), s = table.sin();
        long xi = x.stride(-1), oi = out.stride(-1), ci = c.stride(-1), si = s.stride(-1);
        Dims lead = Dims.of(Arrays.copyOf(x.shape(), r - 1), Arrays.copyOf(x.strides(), r - 1), Arrays.copyOf(out.strides(), r - 1),
                Arrays.copyOf(c.strides(), r - 1), Arrays.copyOf(s.strides(), r - 1));
        RowTasks.forRows(lead.count(), 3L * d, row -> {
            long xe = x.offset() + lead.offset(0, row), oe = out.offset() + lead.offset(1, row);
            long ce = c.offset() + lead.offset(2, row), se = s.offset() + lead.offset(3, row);
            MemorySegment xm = load(x, xe, xi, d, SLOT_X);
            long xb = FloatRows.direct(x.dtype(), xi) ? xe * 4 : 0;
            MemorySegment cm = load(c, ce, ci, h, SLOT_COS);
            long cb = FloatRows.direct(c.dtype(), ci) ? ce * 4 : 0;
            MemorySegment sm = load(s, se, si, h, SLOT_SIN);
            long sb = FloatRows.direct(s.dtype(), si) ? se * 4 : 0;
            boolean outDirect = FloatRows.direct(out.dtype(), oi);
            MemorySegment om = outDirect ? out.segment() : Scratch.floats(SLOT_OUT, d);
            long ob = outDirect ? oe * 4 : 0;
            if (layout == RopeLayout.INTERLEAVED) interleaved(xm, xb, cm, cb, sm, sb, om, ob, h);
            else rotateHalf(xm, xb, cm, cb, sm, sb, om, ob, h);
            if (!outDirect) FloatRows.scatter(om, out.segment(), out.dtype(), oe, oi, d);
        });
    }

    /** The run as F32: the tensor's own memory when it is dense F32, else a converted copy in a scratch slot. */
    private static MemorySegment load(Tensor t, long elem, long stride, int n, int slot) {
        if (FloatRows.direct(t.dtype(), stride)) return t.segment();
        MemorySegment m = Scratch.floats(slot, n);
        FloatRows.gather(t.segment(), t.dtype(), elem, stride, n, m);
        return m;
    }

    /** Pairs (2i, 2i+1). */
    private static void interleaved(MemorySegment x, long xb, MemorySegment c, long cb, MemorySegment s, long sb,
                                    MemorySegment o, long ob, int h) {
        for (int i = 0; i < h; i++) {
            float a = x.get(F, xb + 8L * i), b = x.get(F, xb + 8L * i + 4);
            float cs = c.get(F, cb + 4L * i), sn = s.get(F, sb + 4L * i);
            o.set(F, ob + 8L * i, a * cs - b * sn);
            o.set(F, ob + 8L * i + 4, a * sn + b * cs);
        }
    }

    /** Pairs (i, i + D/2). */
    private static void rotateHalf(MemorySegment x, long xb, MemorySegment c, long cb, MemorySegment s, long sb,
                                   MemorySegment o, long ob, int h) {
        long half = 4L * h;
        int i = 0;
        for (int up = SP.loopBound(h); i < up; i += SP.length()) {
            FloatVector a = FloatVector.fromMemorySegment(SP, x, xb + 4L * i, LE);
            FloatVector b = FloatVector.fromMemorySegment(SP, x, xb + half + 4L * i, LE);
            FloatVector cs = FloatVector.fromMemorySegment(SP, c, cb + 4L * i, LE);
            FloatVector sn = FloatVector.fromMemorySegment(SP, s, sb + 4L * i, LE);
            a.mul(cs).sub(b.mul(sn)).intoMemorySegment(o, ob + 4L * i, LE);
            a.mul(sn).add(b.mul(cs)).intoMemorySegment(o, ob + half + 4L * i, LE);
        }
        for (; i < h; i++) {
            float a = x.get(F, xb + 4L * i), b = x.get(F, xb + half + 4L * i);
            float cs = c.get(F, cb + 4L * i), sn = s.get(F, sb + 4L * i);
            o.set(F, ob + 4L * i, a * cs - b * sn);
            o.set(F, ob + half + 4L * i, a * sn + b * cs);
        }
    }
}
