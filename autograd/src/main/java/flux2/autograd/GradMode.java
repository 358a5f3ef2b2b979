package flux2.autograd;

/** Whether operations are recorded for differentiation on this thread; {@link #off()} opens a no-grad scope. */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[]{true});

    private GradMode() {}

    public static boolean isEnabled() { return ENABLED.get()[0]; }

    /** A scope in which nothing is recorded; restores the previous mode when closed. */
    public static Scope off() { return set(false); }

    /** A scope in which recording is on again (inside an outer no-grad scope, e.g. for recomputation). */
    public static Scope on() { return set(true); }

    private static Scope set(boolean v) {
        boolean[] cell = ENABLED.get();
        boolean prev = cell[0];
        cell[0] = v;
        return () -> cell[0] = prev;
    }

    /** A grad-mode scope. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }
}
