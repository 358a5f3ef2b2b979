package flux2.quant;

import flux2.tensor.Backends;
import flux2.tensor.DType;
import flux2.tensor.Tensor;
import flux2.tensor.TensorArena;
import flux2.tensor.io.SafetensorsWriter;
import flux2.tensor.io.TensorInfo;
import flux2.tensor.io.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Quantized checkpoints as safetensors: each quantized weight {@code name} is stored as its values ({@code I8}
 * [out, in], or int4 as {@code U8} [out, in / 2] since safetensors has no 4-bit dtype), {@code name_scale},
 * and {@code name_zero} when the scheme has zero points; the metadata entry {@code quant:name} names its scheme
 * ({@link QuantScheme#id()}). Other tensors are stored unchanged. Also quantizes a full-precision checkpoint
 * tensor by tensor.
 */
public final class QuantizedCheckpoint {
    public static final String SCALE_SUFFIX = "_scale";
    public static final String ZERO_SUFFIX = "_zero";
    /** Prefix of the metadata keys naming each quantized weight's scheme. */
    public static final String SCHEME_KEY = "quant:";
    public static final String VERSION_KEY = "quant_format_version";

    private QuantizedCheckpoint() {}

    /** The default choice of weights to quantize: 2-D floating tensors whose name ends in "weight". */
    public static Predicate<TensorInfo> linearWeights() {
        return info -> info.rank() == 2 && info.dtype().isFloating() && info.name().endsWith("weight");
    }

    /** Writes {@code q} (and extra metadata) to {@code file}, atomically. */
    public static void save(Path file, QuantizedTensors q, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(VERSION_KEY, "1");
        q.weights().forEach((name, w) -> {
            tensors.put(name, fileView(w.data()));
            tensors.put(name + SCALE_SUFFIX, w.scale());
            if (w.zero() != null) tensors.put(name + ZERO_SUFFIX, w.zero());
            meta.put(SCHEME_KEY + name, w.scheme().id());
        });
        q.others().forEach((name, t) -> {
            if (tensors.put(name, t) != null) throw new IllegalArgumentException("tensor name '" + name + "' is used twice");
        });
        SafetensorsWriter.write(file, tensors, meta);
    }

    /**
     * Reads a quantized checkpoint's tensors as views of {@code source} (valid while it is open). A checkpoint
     * without quantized weights yields only others. All problems are reported together.
     */
    public static QuantizedTensors load(TensorSource source) throws IOException {
        Map<String, QuantizedWeight> weights = new LinkedHashMap<>();
        Map<String, Tensor> others = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (var e : source.metadata().entrySet()) {
            if (!e.getKey().startsWith(SCHEME_KEY)) continue;
            String name = e.getKey().substring(SCHEME_KEY.length());
            try {
                QuantScheme scheme = QuantScheme.parse(e.getValue());
                List<String> missing = new ArrayList<>();
                for (String n : List.of(name, name + SCALE_SUFFIX)) if (!source.contains(n)) missing.add(n);
                if (scheme.zeroPoint() && !source.contains(name + ZERO_SUFFIX)) missing.add(name + ZERO_SUFFIX);
                if (!missing.isEmpty()) {
                    problems.add(name + ": missing tensors " + missing);
                    continue;
                }
                Tensor zero = scheme.zeroPoint() ? source.tensor(name + ZERO_SUFFIX) : null;
                weights.put(name, new QuantizedWeight(scheme, memoryView(source.tensor(name), scheme),
                        source.tensor(name + SCALE_SUFFIX), zero));
                used.addAll(List.of(name, name + SCALE_SUFFIX, name + ZERO_SUFFIX));
            } catch (IllegalArgumentException x) {
                problems.add(name + ": " + x.getMessage());
            }
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("bad quantized checkpoint " + source.describe() + ":\n  " + String.join("\n  ", problems));
        for (String n : source.names()) if (!used.contains(n)) others.put(n, source.tensor(n));
        return new QuantizedTensors(weights, others);
    }

    /**
     * Quantizes the tensors of {@code source} chosen by {@code which} with {@code scheme}, one at a time, into
     * {@code arena}; the others are copied there unchanged. Each source tensor's mapped pages are released once
     * it is done, so the resident memory is the result plus one tensor's working space. Int4 weights whose
     * input size is not a multiple of the group size are an error naming them.
     */
    public static QuantizedTensors quantize(TensorSource source, QuantScheme scheme, Predicate<TensorInfo> which, TensorArena arena)
            throws IOException {
        List<String> bad = new ArrayList<>();
        for (String n : source.names()) {
            TensorInfo info = source.info(n);
            if (which.test(info) && scheme.format() == QuantFormat.INT4 && info.shape()[1] % scheme.groupSize() != 0)
                bad.add(n + " " + info.shape()[0] + "x" + info.shape()[1]);
        }
        if (!bad.isEmpty())
            throw new IllegalArgumentException("cannot quantize to " + scheme.id() + ": input size not a multiple of " + scheme.groupSize()
                    + " in " + String.join(", ", bad));
        Map<String, QuantizedWeight> weights = new LinkedHashMap<>();
        Map<String, Tensor> others = new LinkedHashMap<>();
        for (String n : source.names()) {
            Tensor t = source.tensor(n);
            if (which.test(source.info(n))) {
                weights.put(n, QuantizedWeight.quantize(t, scheme, arena));
            } else {
                Tensor c = Tensor.allocate(Backends.cpu(), t.dtype(), t.shape(), arena);
                c.copyFrom(t);
                others.put(n, c);
            }
            MappedPages.release(t);
        }
        return new QuantizedTensors(weights, others);
    }

    /** Int4 values as the U8 [out, in / 2] tensor stored in files (same bytes). */
    static Tensor fileView(Tensor data) {
        if (data.dtype() != DType.I4) return data;
        int out = data.size(0), half = data.size(1) / 2;
        return new Tensor(data.storage(), DType.U8, new int[]{out, half}, new long[]{half, 1}, data.offset() / 2);
    }

    /** Stored values as the tensor a {@link QuantizedWeight} of {@code scheme} holds (U8 bytes become I4). */
    static Tensor memoryView(Tensor stored, QuantScheme scheme) {
        if (scheme.format() != QuantFormat.INT4) return stored;
        if (stored.dtype() != DType.U8 || stored.rank() != 2)
            throw new IllegalArgumentException("int4 values must be stored as 2-D U8 [out, in / 2], got " + stored.dtype() + " "
                    + java.util.Arrays.toString(stored.shape()));
        int out = stored.size(0), in = stored.size(1) * 2;
        return new Tensor(stored.storage(), DType.I4, new int[]{out, in}, new long[]{in, 1}, stored.offset() * 2);
    }
}
