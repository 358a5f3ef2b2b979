package flux2.model.flux2;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Backends;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.KeyMatch;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads FLUX.2 transformer weights from the official single file (keys with or without
 * {@code model.diffusion_model.}) or from the diffusers layout into a {@link Flux2Transformer}. Weights stay
 * views of the mapped file; only the diffusers q/k/v triples and the swapped final modulation are assembled
 * once into new tensors (in the file's dtype), since no view can express them.
 */
public final class Flux2Checkpoint {
    private Flux2Checkpoint() {}

    /** The key layout of a transformer checkpoint. */
    public enum Layout { OFFICIAL, DIFFUSERS }

    public static final String OFFICIAL_PREFIX = "model.diffusion_model.";

    /** The layout of a source: diffusers when it holds diffusers-only names, else official. */
    public static Layout detect(TensorSource src) {
        for (String n : src.names())
            if (n.startsWith("transformer_blocks.") || n.startsWith("single_transformer_blocks.") || n.equals("x_embedder.weight"))
                return Layout.DIFFUSERS;
        return Layout.OFFICIAL;
    }

    /**
     * Loads every weight of {@code model} from {@code src} (which must stay open while the model is used).
     * Assembled tensors go to {@code arena}. With {@code copy}, values are copied into the model's own
     * parameter memory instead of staying mapped. Problems are reported together in one exception.
     */
    public static Layout load(Flux2Transformer model, TensorSource src, TensorArena arena, boolean copy) {
        Layout layout = detect(src);
        String prefix = layout == Layout.OFFICIAL && src.names().stream().anyMatch(n -> n.startsWith(OFFICIAL_PREFIX)) ? OFFICIAL_PREFIX : "";
        Map<String, Parameter> params = model.namedParameters();
        KeyMatch match = new KeyMatch();
        Map<String, DiffusersKeys.Source> sources = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        try {
            for (var e : params.entrySet()) {
                DiffusersKeys.Source s = layout == Layout.DIFFUSERS ? DiffusersKeys.of(e.getKey())
                        : new DiffusersKeys.Source(List.of(prefix + e.getKey()), DiffusersKeys.Combine.RENAME);
                int[] want = e.getValue().shape();
                if (s.combine() == DiffusersKeys.Combine.CONCAT_ROWS) want[0] /= s.keys().size();
                boolean ok = true;
                for (String k : s.keys()) {
                    used.add(k);
                    if (!src.contains(k)) {
                        match.missing(k);
                        ok = false;
                    } else {
                        ok &= match.checkShape(k, want, Arrays.stream(src.info(k).shape()).mapToInt(Math::toIntExact).toArray());
                    }
                }
                if (ok) sources.put(e.getKey(), s);
            }
            for (String n : src.names()) if (!used.contains(n)) match.unexpected(n);
            match.check(src.describe() + " (" + layout.name().toLowerCase() + " layout) does not match the FLUX.2 model " + model.config);
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (var e : sources.entrySet()) state.put(e.getKey(), assemble(src, e.getValue(), arena));
            model.loadStateDict(state, true, copy);
            return layout;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + src.describe(), e);
        }
    }

    private static Tensor assemble(TensorSource src, DiffusersKeys.Source s, TensorArena arena) throws IOException {
        List<Tensor> parts = new ArrayList<>();
        for (String k : s.keys()) parts.add(src.tensor(k));
        Tensor first = parts.get(0);
        switch (s.combine()) {
            case RENAME -> { return first; }
            case CONCAT_ROWS -> {
                int rows = first.size(0);
                Tensor out = Tensor.allocate(Backends.cpu(), first.dtype(), new int[]{rows * parts.size(), first.size(1)}, arena);
                for (int i = 0; i < parts.size(); i++) out.narrow(0, i * rows, rows).copyFrom(parts.get(i));
                return out;
            }
            case SWAP_HALVES -> {
                int half = first.size(0) / 2;
                Tensor out = Tensor.allocate(Backends.cpu(), first.dtype(), first.shape(), arena);
                out.narrow(0, 0, half).copyFrom(first.narrow(0, half, half));
                out.narrow(0, half, half).copyFrom(first.narrow(0, 0, half));
                return out;
            }
            default -> throw new AssertionError(s.combine());
        }
    }
}
