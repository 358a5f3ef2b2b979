package flux2.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import flux2.tensor.io.StrictJson;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Request bodies: read up to a bound (413 beyond it), and parsed as JSON with a one-line message when they are not. */
public final class Bodies {
    /**
     * The JSON the server reads and writes; it takes the trailing commas of SimpleTuner's example configs, as the
     * trainer does, and refuses content after the value as every reader of the program does.
     */
    public static final ObjectMapper JSON = StrictJson.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_TRAILING_COMMA).build();

    private final long maxBytes;

    public Bodies(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The body's bytes; a 413 when it is larger than the bound, checked before and while reading. */
    public byte[] bytes(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBytes) throw tooLarge(declared);
        try (InputStream in = ctx.req().getInputStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > maxBytes) throw tooLarge(total);
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw ApiError.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    /** The body as text (UTF-8). */
    public String text(Context ctx) {
        return new String(bytes(ctx), StandardCharsets.UTF_8);
    }

    /** The body as a JSON object: 415 unless sent as application/json, 400 when it is not a JSON object. */
    public JsonNode object(Context ctx) {
        requireJson(ctx);
        JsonNode n = parse(text(ctx), "the request body");
        if (!n.isObject()) throw ApiError.badRequest("the request body must be a JSON object, not " + n.getNodeType().name().toLowerCase());
        return n;
    }

    /**
     * 415 unless the request says it sends JSON: a page of another site can post a form to a loopback server, but it
     * cannot send application/json without the browser asking this server first (CORS), which it never allows.
     */
    public static void requireJson(Context ctx) {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("application/json"))
            throw new ApiError(415, "send the body as JSON (Content-Type: application/json), not " + (type == null ? "without a Content-Type" : type));
    }

    /** {@code text} parsed as JSON; a 400 naming {@code what}, the line and the column otherwise. */
    public static JsonNode parse(String text, String what) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || n.isMissingNode()) throw ApiError.badRequest(what + " is empty: expected JSON");
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw ApiError.badRequest(what + " is not valid JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    /** The JSON value of a file the server keeps or edits, read as strict UTF-8; an IOException naming the file otherwise. */
    public static JsonNode readFile(Path file) throws IOException {
        return StrictJson.read(file, JSON);
    }

    private ApiError tooLarge(long bytes) {
        return new ApiError(413, "the request body is larger than the " + maxBytes + " bytes this server accepts (" + bytes + " bytes or more)");
    }
}
