package flux2.quant;

import flux2.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's tensors after quantization: quantized weights by name and every other tensor as it was. Views of a
 * loaded checkpoint stay valid while its source is open.
 */
public record QuantizedTensors(Map<String, QuantizedWeight> weights, Map<String, Tensor> others) {
    public QuantizedTensors {
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        others = Collections.unmodifiableMap(new LinkedHashMap<>(others));
    }

    /**
     * Every tensor under the names modules use: {@code name} (the I8 or I4 values), {@code name_scale},
     * {@code name_zero} and {@code name_column_scale} (where the scheme has them) for each quantized weight, and the
     * other tensors under their own names.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        weights.forEach((name, w) -> {
            out.put(name, w.data());
            out.put(name + QuantizedCheckpoint.SCALE_SUFFIX, w.scale());
            if (w.zero() != null) out.put(name + QuantizedCheckpoint.ZERO_SUFFIX, w.zero());
            if (w.columnScale() != null) out.put(name + QuantizedCheckpoint.COLUMN_SCALE_SUFFIX, w.columnScale());
        });
        out.putAll(others);
        return out;
    }

    /** Bytes of all tensors held. */
    public long byteSize() {
        long n = 0;
        for (QuantizedWeight w : weights.values()) n += w.byteSize();
        for (Tensor t : others.values()) n += t.dtype().bytesFor(t.numel());
        return n;
    }
}
