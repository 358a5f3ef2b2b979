package flux2.tensor.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

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
}
