package flux2.model.flux2.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import flux2.tensor.io.StrictJson;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The {@code lora_adapter_metadata} entry of a diffusers LoRA file: PEFT's LoraConfig as JSON (sorted keys,
 * every key prefixed {@code transformer.}), from which diffusers rebuilds ranks and alphas. Modules whose rank or
 * alpha differs from the most common one go to {@code rank_pattern} / {@code alpha_pattern} by full name.
 */
final class PeftMetadata {
    private PeftMetadata() {}

    static final String KEY = "lora_adapter_metadata";
    private static final String PREFIX = "transformer.";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper READER = StrictJson.mapper();
    /** Python's json.dumps(indent=2) spacing, as diffusers writes it. */
    private static final DefaultPrettyPrinter PYTHON_STYLE = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER).withObjectEmptySeparator("").withArrayEmptySeparator(""))
            .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n"));

    /** Rank and alpha of one diffusers module. */
    record Entry(int rank, double alpha) {}

    /** The JSON for diffusers modules (full names, no {@code transformer.}) with their ranks and alphas. */
    static String write(Map<String, Entry> modules, double dropout, String init) {
        int r = mostCommon(modules.values().stream().map(Entry::rank).toList());
        double alpha = mostCommon(modules.values().stream().map(Entry::alpha).toList());
        Map<String, Object> rankPattern = new TreeMap<>(), alphaPattern = new TreeMap<>();
        modules.forEach((name, e) -> {
            if (e.rank() != r) rankPattern.put(name, e.rank());
            if (e.alpha() != alpha) alphaPattern.put(name, number(e.alpha()));
        });
        Map<String, Object> cfg = new TreeMap<>();
        cfg.put("r", r);
        cfg.put("lora_alpha", number(alpha));
        cfg.put("target_modules", modules.keySet().stream().sorted().toList());
        cfg.put("rank_pattern", rankPattern);
        cfg.put("alpha_pattern", alphaPattern);
        cfg.put("lora_dropout", dropout);
        cfg.put("init_lora_weights", init == null || init.equals("true") ? Boolean.TRUE : init.equals("false") ? Boolean.FALSE : init);
        cfg.put("use_dora", false);
        cfg.put("use_rslora", false);
        cfg.put("fan_in_fan_out", false);
        cfg.put("bias", "none");
        cfg.put("peft_type", "LORA");
        cfg.put("modules_to_save", null);
        cfg.put("layers_to_transform", null);
        cfg.put("layers_pattern", null);
        cfg.put("task_type", null);
        Map<String, Object> prefixed = new TreeMap<>();
        cfg.forEach((k, v) -> prefixed.put(PREFIX + k, v));
        try {
            return JSON.writer(PYTHON_STYLE).writeValueAsString(prefixed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A parsed config: alpha of a module by PEFT's rules, plus dropout and init. */
    record Parsed(Double loraAlpha, Map<String, Double> alphaPattern, double dropout, String init) {
        /** The alpha of a diffusers module: a pattern matching the name or a suffix of it, else lora_alpha, else null. */
        Double alpha(String module) {
            for (var e : alphaPattern.entrySet())
                if (module.equals(e.getKey()) || module.endsWith("." + e.getKey())) return e.getValue();
            return loraAlpha;
        }
    }

    /**
     * Parses the metadata entry (keys with or without the {@code transformer.} prefix); null when absent. A
     * lora_alpha, alpha_pattern entry or lora_dropout that is not a finite number is refused, naming the key.
     */
    static Parsed read(String json, String where) {
        if (json == null) return null;
        JsonNode n;
        try {
            n = READER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": metadata '" + KEY + "' is not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(where + ": metadata '" + KEY + "' is not a JSON object");
        Function<String, String> key = k -> n.has(PREFIX + k) ? PREFIX + k : k;
        String alphaKey = key.apply("lora_alpha"), patternKey = key.apply("alpha_pattern"), dropoutKey = key.apply("lora_dropout");
        JsonNode pattern = n.get(patternKey), init = n.get(key.apply("init_lora_weights"));
        Map<String, Double> patterns = new LinkedHashMap<>();
        if (pattern != null && !pattern.isNull()) {
            if (!pattern.isObject())
                throw new IllegalArgumentException(where + ": metadata '" + KEY + "' key '" + patternKey + "' is " + pattern + ", not an object of module alphas");
            pattern.fields().forEachRemaining(f -> patterns.put(f.getKey(), finite(where, patternKey + "." + f.getKey(), f.getValue())));
        }
        Double alpha = n.hasNonNull(alphaKey) ? finite(where, alphaKey, n.get(alphaKey)) : null;
        double dropout = n.hasNonNull(dropoutKey) ? finite(where, dropoutKey, n.get(dropoutKey)) : 0;
        return new Parsed(alpha, patterns, dropout, init == null || init.isNull() ? "true" : init.asText());
    }

    /** A metadata number, which must be a JSON number and finite (PEFT writes them so; "sixteen" or 1e400 is not). */
    private static double finite(String where, String key, JsonNode v) {
        if (!v.isNumber() || !Double.isFinite(v.doubleValue()))
            throw new IllegalArgumentException(where + ": metadata '" + KEY + "' key '" + key + "' is " + (v.isNumber() ? v.asText() : v.toString()) + ", not a finite number");
        return v.doubleValue();
    }

    private static Object number(double v) { return v == Math.rint(v) && Math.abs(v) < 1e9 ? (Object) (long) v : v; }

    /** The most frequent value; ties go to the one seen first. */
    private static <T> T mostCommon(List<T> values) {
        Map<T, Long> counts = values.stream().collect(Collectors.groupingBy(v -> v, LinkedHashMap::new, Collectors.counting()));
        return new ArrayList<>(counts.entrySet()).stream().max(Comparator.comparingLong(Map.Entry::getValue)).orElseThrow().getKey();
    }
}
