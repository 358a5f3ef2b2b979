package flux2.model.mistral.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.tensor.io.StrictJson;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the JSON files of a tokenizer folder (tekken.json, tokenizer.json, tokenizer_config.json): UTF-8 text, one
 * JSON value. Every problem is an IOException whose message names the file and, for a syntax error, the line and
 * column, rather than a parser message about an anonymous stream.
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    /** The JSON tree of {@code file}. */
    public static JsonNode readJson(Path file) throws IOException {
        return StrictJson.read(file);
    }
}
