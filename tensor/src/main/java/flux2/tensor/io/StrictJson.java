package flux2.tensor.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The JSON reader for every file the program reads: content after the JSON value ({@code {...} garbage} or
 * {@code {...}{...}}) is an error instead of being ignored, as Jackson does by default.
 */
public final class StrictJson {
    private StrictJson() {}

    private static final ObjectMapper MAPPER = builder().build();

    /** A builder with trailing content refused, for readers that need more features. */
    public static JsonMapper.Builder builder() {
        return JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The shared strict reader (thread-safe). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * Reads a JSON file as strict UTF-8 text holding one value; a missing or empty file, text that is not UTF-8 and
     * unreadable JSON are IOExceptions naming the file (and for JSON the line and the column).
     */
    public static JsonNode read(Path file) throws IOException {
        return read(file, MAPPER);
    }

    /** As {@link #read(Path)}, with a reader of more features built from {@link #builder()}. */
    public static JsonNode read(Path file, ObjectMapper mapper) throws IOException {
        String text;
        try {
            text = Utf8Files.read(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        }
        try {
            JsonNode n = mapper.readTree(text);
            if (n == null || n.isMissingNode()) throw new IOException(file + ": empty file, expected JSON");
            return n;
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": " + describe(e), e);
        }
    }

    /** What is wrong with unreadable JSON, in words, with its line and column. */
    public static String describe(JsonProcessingException e) {
        var loc = e.getLocation();
        String at = loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "";
        String m = e.getOriginalMessage();
        if (m != null && m.startsWith("Trailing token"))
            return "content after the JSON value" + at + ": the file must hold exactly one JSON value";
        return "not valid JSON" + at + ": " + m;
    }
}
