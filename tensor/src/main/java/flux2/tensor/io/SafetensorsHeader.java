package flux2.tensor.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import flux2.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Parses and validates a safetensors JSON header before anything trusts it. */
final class SafetensorsHeader {
    /** The largest header accepted, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    /** A strict JSON reader: duplicate keys, trailing content and oversized values are errors. */
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength((int) MAX_HEADER_BYTES)
                            .maxNameLength((int) MAX_HEADER_BYTES)
                            .maxNestingDepth(64)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The validated content of a header: metadata and tensors by name (sorted). */
    record Parsed(Map<String, String> metadata, Map<String, TensorInfo> tensors) {}

    private SafetensorsHeader() {}

    /**
     * Validates {@code json} (the header bytes) for a data section of {@code dataBytes} bytes.
     *
     * @throws SafetensorsException naming the file, the tensor and the problem
     */
    static Parsed parse(Path file, byte[] json, long dataBytes) throws SafetensorsException {
        JsonNode root = readJson(file, json, "header");
        if (!root.isObject())
            throw new SafetensorsException(file, "header is a JSON " + kind(root) + ", expected an object of tensors");
        Map<String, String> metadata = Map.of();
        Map<String, TensorInfo> tensors = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) metadata = metadata(file, e.getValue());
            else tensors.put(e.getKey(), tensor(file, e.getKey(), e.getValue(), dataBytes));
        }
        checkOverlaps(file, tensors);
        checkCoverage(file, tensors, dataBytes);
        return new Parsed(metadata, Collections.unmodifiableMap(tensors));
    }

    /** Parses JSON text, turning every parser error into a one-line message with its position. */
    static JsonNode readJson(Path file, byte[] json, String what) throws SafetensorsException {
        // JSON text here is UTF-8 only, as in the reference implementation: parsing the bytes would let Jackson
        // take UTF-16 or UTF-32 text that other readers refuse
        String utf8Problem = Utf8Files.problem(json);
        if (utf8Problem != null) throw new SafetensorsException(file, what + " is not valid JSON: " + utf8Problem);
        try {
            JsonNode root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
            if (root == null || root.isMissingNode()) throw new SafetensorsException(file, what + " is empty, expected a JSON object");
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new SafetensorsException(file, what + " is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (JacksonException e) {
            throw new SafetensorsException(file, what + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            // readTree on a byte array does no I/O; any other IOException is still a malformed header
            throw new SafetensorsException(file, what + " cannot be parsed: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> metadata(Path file, JsonNode node) throws SafetensorsException {
        if (!node.isObject())
            throw new SafetensorsException(file, METADATA_KEY + " is a JSON " + kind(node) + ", expected an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual())
                throw new SafetensorsException(file, METADATA_KEY + " entry " + SafetensorsException.quote(e.getKey())
                        + " is a JSON " + kind(e.getValue()) + ", expected a string");
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo tensor(Path file, String name, JsonNode node, long dataBytes) throws SafetensorsException {
        if (!node.isObject()) throw SafetensorsException.tensor(file, name, "entry is a JSON " + kind(node) + ", expected an object");
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null) throw SafetensorsException.tensor(file, name, "has no 'dtype'");
        if (sh == null) throw SafetensorsException.tensor(file, name, "has no 'shape'");
        if (off == null) throw SafetensorsException.tensor(file, name, "has no 'data_offsets'");
        if (!dt.isTextual()) throw SafetensorsException.tensor(file, name, "'dtype' is a JSON " + kind(dt) + ", expected a string");
        DType dtype = dtype(dt.textValue());
        if (dtype == null)
            throw SafetensorsException.tensor(file, name, "unsupported dtype " + SafetensorsException.quote(dt.textValue())
                    + " (supported: F32, BF16, F16, I64, I32, I8, U8, BOOL)");
        if (!sh.isArray()) throw SafetensorsException.tensor(file, name, "'shape' is a JSON " + kind(sh) + ", expected an array");
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = nonNegativeLong(file, name, "shape", sh.get(i));
        if (!off.isArray() || off.size() != 2)
            throw SafetensorsException.tensor(file, name, "'data_offsets' must be an array [begin, end], got " + abbreviate(off));
        long begin = nonNegativeLong(file, name, "data_offsets", off.get(0));
        long end = nonNegativeLong(file, name, "data_offsets", off.get(1));
        if (begin > end) throw SafetensorsException.tensor(file, name, "data_offsets begin " + begin + " is after end " + end);
        if (end > dataBytes)
            throw SafetensorsException.tensor(file, name, "data_offsets [" + begin + ", " + end + "] run past the end of the data section ("
                    + dataBytes + " bytes; the file is truncated or the header is wrong)");
        long bytes;
        try {
            long numel = 1;
            for (long d : shape) numel = Math.multiplyExact(numel, d);
            bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw SafetensorsException.tensor(file, name, "shape " + java.util.Arrays.toString(shape) + " has more elements than fit in 64 bits");
        }
        if (bytes != end - begin)
            throw SafetensorsException.tensor(file, name, "shape " + java.util.Arrays.toString(shape) + " of " + dtype.safetensorsName()
                    + " needs " + bytes + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** Safetensors dtypes this engine reads; I4 is an engine-internal packing, not a safetensors dtype. */
    static DType dtype(String name) {
        DType t = DType.fromSafetensors(name);
        return t == DType.I4 ? null : t;
    }

    private static long nonNegativeLong(Path file, String name, String field, JsonNode v) throws SafetensorsException {
        if (v == null || !v.isIntegralNumber())
            throw SafetensorsException.tensor(file, name, "'" + field + "' holds " + abbreviate(v) + ", expected non-negative integers");
        if (!v.canConvertToLong() || v.longValue() < 0)
            throw SafetensorsException.tensor(file, name, "'" + field + "' holds " + abbreviate(v) + ", expected a non-negative 64-bit integer");
        return v.longValue();
    }

    /** Sorted by begin offset, each tensor must end before the next begins. */
    private static void checkOverlaps(Path file, Map<String, TensorInfo> tensors) throws SafetensorsException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.begin() < prev.end())
                throw SafetensorsException.tensor(file, cur.name(), "bytes [" + cur.begin() + ", " + cur.end() + ") overlap tensor "
                        + SafetensorsException.quote(prev.name()) + " at [" + prev.begin() + ", " + prev.end() + ")");
        }
    }

    /**
     * As the reference implementation requires: sorted by offsets, the first tensor begins at 0, each one begins where
     * the previous one ends, and the last one ends where the file ends, so that no byte of the data section is
     * unaccounted for (a gap or trailing bytes mean the header does not describe the file).
     */
    private static void checkCoverage(Path file, Map<String, TensorInfo> tensors, long dataBytes) throws SafetensorsException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo prev = null;
        for (TensorInfo t : byOffset) {
            if (t.begin() != expected)
                throw SafetensorsException.tensor(file, t.name(), prev == null
                        ? "data_offsets begin at " + t.begin() + ": the first tensor's data must begin at 0 (bytes 0 to " + t.begin() + " belong to no tensor)"
                        : "data_offsets [" + t.begin() + ", " + t.end() + "] leave a gap of " + (t.begin() - expected) + " bytes after tensor "
                                + SafetensorsException.quote(prev.name()) + " (which ends at " + expected + "); tensors must follow each other without gaps");
            expected = t.end();
            prev = t;
        }
        if (expected != dataBytes)
            throw new SafetensorsException(file, "the data section holds " + dataBytes + " bytes but "
                    + (prev == null ? "the header declares no tensor" : "its tensors end at byte " + expected + " (last: " + SafetensorsException.quote(prev.name()) + ")")
                    + ": " + (dataBytes - expected) + " bytes after the data belong to no tensor");
    }

    static String kind(JsonNode n) {
        if (n == null) return "nothing";
        return switch (n.getNodeType()) {
            case ARRAY -> "array";
            case OBJECT, POJO -> "object";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(JsonNode n) {
        if (n == null) return "nothing";
        String s = n.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
