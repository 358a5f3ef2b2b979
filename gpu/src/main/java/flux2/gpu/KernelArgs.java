package flux2.gpu;

import java.util.Arrays;

/**
 * The argument list of one kernel launch: device buffers, 32-bit ints, 64-bit longs and floats, in the order
 * of the kernel's parameters. A tensor operand is a buffer followed by its element offset (a long).
 */
public final class KernelArgs {
    /** Kinds of argument; drivers marshal each by kind. */
    public enum Kind { BUFFER, INT, LONG, FLOAT }

    private Kind[] kinds = new Kind[16];
    private long[] values = new long[16];
    private int size;

    public KernelArgs buffer(long handle) { return add(Kind.BUFFER, handle); }

    public KernelArgs i(int v) { return add(Kind.INT, v); }

    public KernelArgs l(long v) { return add(Kind.LONG, v); }

    public KernelArgs f(float v) { return add(Kind.FLOAT, Float.floatToRawIntBits(v)); }

    /** A buffer and an element offset: how kernels take tensor operands. */
    public KernelArgs tensor(long handle, long elementOffset) { return buffer(handle).l(elementOffset); }

    private KernelArgs add(Kind k, long v) {
        if (size == kinds.length) {
            kinds = Arrays.copyOf(kinds, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        kinds[size] = k;
        values[size++] = v;
        return this;
    }

    public int size() { return size; }

    public Kind kind(int i) { return kinds[i]; }

    /** The buffer handle, int, long, or float bits (see {@link Float#intBitsToFloat}) of argument i. */
    public long value(int i) { return values[i]; }

    public int intValue(int i) { return (int) values[i]; }

    public float floatValue(int i) { return Float.intBitsToFloat((int) values[i]); }
}
