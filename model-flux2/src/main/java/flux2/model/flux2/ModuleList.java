package flux2.model.flux2;

import flux2.autograd.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** Numbered children (0, 1, ...), like PyTorch's ModuleList, so parameter names read {@code double_blocks.3.…}. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    public M add(M m) {
        items.add(child(Integer.toString(items.size()), m));
        return m;
    }

    public M get(int i) { return items.get(i); }

    public int size() { return items.size(); }

    public List<M> items() { return List.copyOf(items); }
}
