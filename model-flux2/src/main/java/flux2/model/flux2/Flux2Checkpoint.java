package flux2.model.flux2;

import flux2.autograd.nn.Parameter;
import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.FiniteCheck;
import flux2.tensor.io.KeyMatch;
import flux2.tensor.io.TensorInfo;
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
import java.util.function.Predicate;

/**
 * Loads FLUX.2 transformer weights from the official single file (keys with or without
 * {@code model.diffusion_model.}) or from the diffusers layout into a {@link Flux2Transformer}. Weights stay
 * views of the mapped file; only the diffusers q/k/v triples and the swapped final modulation are assembled
 * once into new tensors (in the file's dtype), since no view can express them. F16 weights are widened once into F32
 * copies (twice their size in memory); other dtypes than F32, BF16 and F16 are refused by name.
 */
public final class Flux2Checkpoint {
    private Flux2Checkpoint() {}

    /** The key layout of a transformer checkpoint. */
    public enum Layout { OFFICIAL, DIFFUSERS }

    public static final String OFFICIAL_PREFIX = "model.diffusion_model.";

    /**
     * The dtypes a stored transformer weight may have. Integer tensors (an I8 file without its scales, say) would be
     * read as their raw values, or fail deep inside a product; they are refused by name when loading.
     */
    static final Set<DType> WEIGHT_DTYPES = Set.of(DType.F32, DType.BF16, DType.F16);

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
        return load(model, src, arena, copy, name -> false);
    }

    /**
     * Loads as {@link #load(Flux2Transformer, TensorSource, TensorArena, boolean)} and refuses weights holding NaN or
     * infinity, naming the file and the tensors: mapped weights are scanned in place (the file's bytes are read
     * once, here), copied ones after their conversion. Parameters {@code convertedLater} accepts (by model name) are
     * left to whoever converts them next, such as quantization, which checks each value as it reads it, so that a
     * mapped checkpoint is still read only once.
     */
    public static Layout load(Flux2Transformer model, TensorSource src, TensorArena arena, boolean copy, Predicate<String> convertedLater) {
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
                        continue;
                    }
                    TensorInfo info = src.info(k);
                    ok &= match.checkShape(k, want, Arrays.stream(info.shape()).mapToInt(Math::toIntExact).toArray());
                    if (!WEIGHT_DTYPES.contains(info.dtype())) {
                        match.add("dtypes that are not weight dtypes (allowed: F32, BF16, F16; quantize with base_model_precision instead)",
                                k + " (" + info.dtype().safetensorsName() + ")");
                        ok = false;
                    }
                }
                if (ok) sources.put(e.getKey(), s);
            }
            for (String n : src.names()) if (!used.contains(n)) match.unexpected(n);
            match.check(src.describe() + " (" + layout.name().toLowerCase() + " layout) does not match the FLUX.2 model " + model.config);
            Map<String, Tensor> state = new LinkedHashMap<>();
            for (var e : sources.entrySet()) state.put(e.getKey(), widenHalf(assemble(src, e.getValue(), arena), arena));
            model.loadStateDict(state, true, copy);
            List<String> nonFinite = new ArrayList<>();
            for (var e : params.entrySet()) {
                if (convertedLater.test(e.getKey())) continue;
                String bad = FiniteCheck.problem(copy ? e.getValue().value() : state.get(e.getKey()));
                if (bad == null) continue;
                List<String> keys = sources.get(e.getKey()).keys();
                nonFinite.add(String.join(", ", keys) + (keys.equals(List.of(prefix + e.getKey())) ? "" : " (" + e.getKey() + ")") + ": " + bad);
            }
            if (!nonFinite.isEmpty())
                throw new IllegalArgumentException(src.describe() + " holds transformer weights that are not finite numbers (" + nonFinite.size()
                        + " tensors):\n  " + String.join("\n  ", nonFinite));
            return layout;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + src.describe(), e);
        }
    }

    /** An F16 weight as an F32 copy in {@code arena} (exact): the products take F32 or BF16 weights only. */
    private static Tensor widenHalf(Tensor t, TensorArena arena) {
        if (t.dtype() != DType.F16) return t;
        Tensor out = Tensor.allocate(Backends.cpu(), DType.F32, t.shape(), arena);
        out.copyFrom(t);
        return out;
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
