package flux2.autograd.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Numbered children (0, 1, ...), like PyTorch's ModuleList, so parameter names read {@code double_blocks.3.…}.
 * Children are named by index and listed in the order they were put in.
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    /** Appends m as the next index. */
    public M add(M m) { return set(items.size(), m); }

    /**
     * Puts m at {@code index}, for lists built out of index order (the official VAE decoder creates its levels
     * from the last one down; their parameters are listed in that order).
     */
    public M set(int index, M m) {
        if (index < 0) throw new IllegalArgumentException("negative module index " + index);
        child(Integer.toString(index), m);
        while (items.size() <= index) items.add(null);
        items.set(index, m);
        return m;
    }

    public M get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    public List<M> items() { return Collections.unmodifiableList(items); }

    @Override public Iterator<M> iterator() { return items().iterator(); }
}
