package flux2.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A region of off-heap memory that owns tensors and frees them all at once when closed.
 *
 * <p>Parameters live in a long-lived arena; the activations of one step live in a step arena opened with
 * {@link #open(String)} and closed when the step ends. Operations allocate their results in the arena that is
 * current on the calling thread: the innermost open one, else the process-wide {@link #global()} arena.
 */
public final class TensorArena implements AutoCloseable {
    private static final int ALIGNMENT = 64;
    private static final TensorArena GLOBAL = new TensorArena("global", false);
    private static final ThreadLocal<Deque<TensorArena>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final String name;
    private final Arena arena;
    private final boolean closeable;
    private long bytes;
    private long peak;
    private boolean closed;

    private TensorArena(String name, boolean closeable) {
        this.name = name;
        this.arena = Arena.ofShared();
        this.closeable = closeable;
    }

    /** A new arena that is not current anywhere; use {@link #enter()} to make it current for a while. */
    public static TensorArena create(String name) { return new TensorArena(name, true); }

    /** A new arena, made current on this thread until it is closed. */
    public static TensorArena open(String name) {
        TensorArena a = new TensorArena(name, true);
        STACK.get().push(a);
        return a;
    }

    /** The process-wide arena, never closed: for long-lived data outside any explicit arena. */
    public static TensorArena global() { return GLOBAL; }

    /** The arena new tensors go to on this thread. */
    public static TensorArena current() {
        TensorArena a = STACK.get().peek();
        return a != null ? a : GLOBAL;
    }

    /** Makes this arena current on this thread until the returned scope is closed. */
    public Scope enter() {
        checkOpen();
        STACK.get().push(this);
        return () -> {
            Deque<TensorArena> s = STACK.get();
            if (s.peek() != this) throw new IllegalStateException("arena scopes closed out of order: " + name);
            s.pop();
        };
    }

    /** A scope of {@link #enter()}. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }

    /** Zero-filled, 64-byte aligned memory owned by this arena. */
    public synchronized MemorySegment allocate(long byteCount) {
        checkOpen();
        MemorySegment seg = arena.allocate(Math.max(byteCount, 1), ALIGNMENT);
        bytes += byteCount;
        peak = Math.max(peak, bytes);
        MemoryStats.allocated(byteCount);
        return seg;
    }

    /** The memory scope of this arena, for segments (such as file mappings) whose life it should bound. */
    public Arena scope() { return arena; }

    public String name() { return name; }

    /** Bytes allocated in this arena so far. */
    public synchronized long bytes() { return bytes; }

    /** Highest byte count of this arena (equal to {@link #bytes()}: memory is only released on close). */
    public synchronized long peakBytes() { return peak; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("tensor arena '" + name + "' is closed");
    }

    @Override
    public void close() {
        if (!closeable) throw new IllegalStateException("the global tensor arena cannot be closed");
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        Deque<TensorArena> s = STACK.get();
        s.remove(this);
        arena.close();
        MemoryStats.freed(bytes);
    }

    @Override
    public String toString() { return "TensorArena[" + name + ", " + bytes + " bytes]"; }
}
