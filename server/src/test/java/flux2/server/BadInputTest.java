package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad requests get a 4xx with a one-line message, write nothing, and the server goes on serving. */
class BadInputTest {
    @TempDir Path root;

    @Test
    void badRequestsAreRefusedInOneLineAndChangeNothing() throws Exception {
        try (ServerFixture s = new ServerFixture(root).start()) {
            s.example("tiny");
            Path config = root.resolve("config/tiny/config.json");
            String before = Files.readString(config);

            oneLine(json(s.put("/api/envs/tiny/files/config.json", "{\"lr_scheduler\": "), 400), "config.json is not valid JSON at line 1");
            oneLine(json(s.post("/api/jobs", "{\"env\": \"tiny\", "), 400), "the request body is not valid JSON");
            oneLine(json(s.post("/api/jobs", "[1, 2]"), 400), "must be a JSON object");
            oneLine(json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": [1]}"), 400), "overrides must be a JSON object");
            oneLine(json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"lora_rank\": \"sixteen\"}}"), 400), "lora_rank");
            oneLine(json(s.post("/api/jobs", "{\"env\": \"tiny\", \"overrides\": {\"--x\": 1}}"), 400), "not a config key");
            oneLine(json(s.get("/api/envs/nope"), 404), "no environment 'nope'");
            oneLine(json(s.get("/api/envs/nope/files/config.json"), 404), "no environment 'nope'");
            oneLine(json(s.post("/api/jobs", "{\"env\": \"nope\"}"), 404), "no environment 'nope'");
            for (String p : List.of("/api/jobs/nope", "/api/jobs/nope/events", "/api/jobs/nope/files", "/api/jobs/nope/files/a.png", "/api/jobs/nope/log"))
                oneLine(json(s.get(p), 404), "no job 'nope'");
            oneLine(json(s.post("/api/jobs/nope/stop", "{}"), 404), "no job 'nope'");
            oneLine(json(s.send(s.request("/api/envs/tiny/files/config.json").header("Content-Type", "text/plain")
                    .PUT(HttpRequest.BodyPublishers.ofString("{}")).build()), 415), "Content-Type: application/json");

            // an oversized upload: refused on its declared length, and on what arrives when none is declared
            String big = "{\"pad\": \"" + "x".repeat(80 * 1024) + "\"}";
            oneLine(json(s.put("/api/envs/tiny/files/config.json", big), 413), "larger than the 65536 bytes");
            HttpResponse<String> chunked = s.send(s.request("/api/envs/tiny/files/config.json").header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes()))).build());
            assertEquals(413, chunked.statusCode(), chunked.body());

            assertEquals(before, Files.readString(config), "nothing written");
            assertFalse(Files.exists(root.resolve(".flux2/jobs")) && Files.list(root.resolve(".flux2/jobs")).findAny().isPresent(), "no job made");
            assertEquals("ok", json(s.get("/api/health"), 200).get("status").asText(), "still serving");
        }
    }

    private static void oneLine(JsonNode body, String part) {
        String e = body.get("error").asText();
        assertFalse(e.contains("\n"), e);
        assertTrue(e.contains(part), "'" + e + "' says " + part);
    }
}
