package flux2.trainer.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import flux2.tensor.io.StrictJson;

/**
 * The reader of configuration JSON (config.json, multidatabackend.json, user_prompt_library.json, lists and values
 * they name, command-line values): trailing content and a key given twice are errors; SimpleTuner's published
 * examples carry trailing commas, which are accepted as its users expect; decimals are kept exactly, so that a
 * value too large for a double (1e400) is reported as written instead of as Infinity.
 */
final class ConfigJson {
    private ConfigJson() {}

    static final ObjectMapper MAPPER = StrictJson.builder()
            .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    /** What is wrong with unreadable JSON, in words, with its line and column. */
    static String describe(JsonProcessingException e) {
        return StrictJson.describe(e);
    }
}
