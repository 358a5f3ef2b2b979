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
 * [out, in], or int4 as {@code U8} [out, ceil(in / 2)] since safetensors has no 4-bit dtype), {@code name_scale},
 * {@code name_zero} when the scheme has zero points and {@code name_column_scale} [in] when it has column scales; the
 * metadata entry {@code quant:name} names its scheme ({@link QuantScheme#id()}) and, for int4,
 * {@code quant_inputs:name} its input count (an odd one leaves the last nibble of each row unused; files without
 * the entry have 2 x the stored width). Other tensors are stored unchanged. Also quantizes a full-precision
 * checkpoint tensor by tensor.
 */
public final class QuantizedCheckpoint {
    public static final String SCALE_SUFFIX = "_scale";
    public static final String ZERO_SUFFIX = "_zero";
    public static final String COLUMN_SCALE_SUFFIX = "_column_scale";
    /** Prefix of the metadata keys naming each quantized weight's scheme. */
    public static final String SCHEME_KEY = "quant:";
    /** Prefix of the metadata keys giving each int4 weight's input count. */
    public static final String INPUTS_KEY = "quant_inputs:";
    public static final String VERSION_KEY = "quant_format_version";
    /** Version 2 added column scales and input counts; version 1 files read the same way. */
    public static final int VERSION = 2;

    private QuantizedCheckpoint() {}

    /** The default choice of weights to quantize: 2-D floating tensors whose name ends in "weight". */
    public static Predicate<TensorInfo> linearWeights() {
        return info -> info.rank() == 2 && info.dtype().isFloating() && info.name().endsWith("weight");
    }

    /** Writes {@code q} (and extra metadata) to {@code file}, atomically. */
    public static void save(Path file, QuantizedTensors q, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put(VERSION_KEY, Integer.toString(VERSION));
        q.weights().forEach((name, w) -> {
            tensors.put(name, fileView(w.data()));
            tensors.put(name + SCALE_SUFFIX, w.scale());
            if (w.zero() != null) tensors.put(name + ZERO_SUFFIX, w.zero());
            if (w.columnScale() != null) tensors.put(name + COLUMN_SCALE_SUFFIX, w.columnScale());
            meta.put(SCHEME_KEY + name, w.scheme().id());
            if (w.scheme().format() == QuantFormat.INT4) meta.put(INPUTS_KEY + name, Integer.toString(w.inFeatures()));
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
        String version = source.metadata().get(VERSION_KEY);
        if (version != null && !version.equals("1") && !version.equals(Integer.toString(VERSION)))
            throw new IllegalArgumentException(source.describe() + ": " + VERSION_KEY + " is '" + version + "'; this version reads 1 and " + VERSION);
        for (var e : source.metadata().entrySet()) {
            if (!e.getKey().startsWith(SCHEME_KEY)) continue;
            String name = e.getKey().substring(SCHEME_KEY.length());
            try {
                QuantScheme scheme = QuantScheme.parse(e.getValue());
                List<String> missing = new ArrayList<>();
                for (String n : List.of(name, name + SCALE_SUFFIX)) if (!source.contains(n)) missing.add(n);
                if (scheme.zeroPoint() && !source.contains(name + ZERO_SUFFIX)) missing.add(name + ZERO_SUFFIX);
                if (scheme.columnScales() && !source.contains(name + COLUMN_SCALE_SUFFIX)) missing.add(name + COLUMN_SCALE_SUFFIX);
                if (!missing.isEmpty()) {
                    problems.add(name + ": missing tensors " + missing);
                    continue;
                }
                Tensor zero = scheme.zeroPoint() ? source.tensor(name + ZERO_SUFFIX) : null;
                Tensor columns = scheme.columnScales() ? source.tensor(name + COLUMN_SCALE_SUFFIX) : null;
                Tensor values = memoryView(source.tensor(name), scheme);
                int in = inputs(source.metadata().get(INPUTS_KEY + name), values, scheme);
                weights.put(name, new QuantizedWeight(scheme, in, values, source.tensor(name + SCALE_SUFFIX), zero, columns));
                used.addAll(List.of(name, name + SCALE_SUFFIX, name + ZERO_SUFFIX, name + COLUMN_SCALE_SUFFIX));
            } catch (IllegalArgumentException x) {
                problems.add(name + ": " + x.getMessage());
            }
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("bad quantized checkpoint " + source.describe() + ":\n  " + String.join("\n  ", problems));
        for (String n : source.names()) if (!used.contains(n)) others.put(n, source.tensor(n));
        return new QuantizedTensors(weights, others);
    }

    /** The input count of a stored weight: the metadata entry where there is one, else the stored width (x 2 for int4). */
    private static int inputs(String entry, Tensor values, QuantScheme scheme) {
        int width = values.rank() == 2 ? values.size(1) : 0;
        if (entry == null) return width;
        int in;
        try {
            in = Integer.parseInt(entry.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input count '" + entry + "' is not an integer");
        }
        if (in < 1 || QuantizedWeight.storedWidth(scheme, in) != width)
            throw new IllegalArgumentException("input count " + in + " does not fit values " + width + " wide");
        return in;
    }

    /**
     * Quantizes the tensors of {@code source} chosen by {@code which} with {@code scheme}, one at a time, into
     * {@code arena}; the others are copied there unchanged. Each source tensor's mapped pages are released once
     * it is done, so the resident memory is the result plus one tensor's working space. An int4 weight whose
     * input size the group does not divide ends each row in a shorter group.
     */
    public static QuantizedTensors quantize(TensorSource source, QuantScheme scheme, Predicate<TensorInfo> which, TensorArena arena)
            throws IOException {
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

    /** Int4 values as the U8 [out, width / 2] tensor stored in files (same bytes; the width is even). */
    static Tensor fileView(Tensor data) {
        if (data.dtype() != DType.I4) return data;
        int out = data.size(0), half = data.size(1) / 2;
        return new Tensor(data.storage(), DType.U8, new int[]{out, half}, new long[]{half, 1}, data.offset() / 2);
    }

    /** Stored values as the tensor a {@link QuantizedWeight} of {@code scheme} holds (U8 bytes become I4). */
    static Tensor memoryView(Tensor stored, QuantScheme scheme) {
        if (scheme.format() != QuantFormat.INT4) return stored;
        if (stored.dtype() != DType.U8 || stored.rank() != 2)
            throw new IllegalArgumentException("int4 values must be stored as 2-D U8 [out, ceil(in / 2)], got " + stored.dtype() + " "
                    + java.util.Arrays.toString(stored.shape()));
        int out = stored.size(0), in = stored.size(1) * 2;
        return new Tensor(stored.storage(), DType.I4, new int[]{out, in}, new long[]{in, 1}, stored.offset() * 2);
    }
}
