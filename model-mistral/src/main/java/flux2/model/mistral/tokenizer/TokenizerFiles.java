package flux2.model.mistral.tokenizer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.io.Utf8Files;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the JSON files of a tokenizer folder (tekken.json, tokenizer.json, tokenizer_config.json): UTF-8 text, one
 * JSON value. Every problem is an IOException whose message names the file and, for a syntax error, the line and
 * column, rather than a parser message about an anonymous stream.
 */
public final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TokenizerFiles() {}

    /** The JSON tree of {@code file}. */
    public static JsonNode readJson(Path file) throws IOException {
        String text;
        try {
            text = Utf8Files.read(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        }
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || n.isMissingNode()) throw new IOException(file + ": empty file, expected JSON");
            return n;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new IOException(file + ": not valid JSON" + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage(), e);
        }
    }
}
