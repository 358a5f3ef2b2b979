package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
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
            String declared = oversized(s, "Content-Length: " + (10 << 20), false);
            assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
            assertTrue(declared.contains("larger than the 65536 bytes"), declared);
            String chunked = oversized(s, "Transfer-Encoding: chunked", true);
            assertTrue(chunked.startsWith("HTTP/1.1 413"), chunked);

            assertEquals(before, Files.readString(config), "nothing written");
            assertFalse(Files.exists(root.resolve(".flux2/jobs")) && Files.list(root.resolve(".flux2/jobs")).findAny().isPresent(), "no job made");
            assertEquals("ok", json(s.get("/api/health"), 200).get("status").asText(), "still serving");
        }
    }

    /**
     * The response to a PUT of a config larger than the bound, sent on a raw socket by a thread of its own: the server
     * answers before the body is all there and closes, and the sending side's broken pipe must not hide its answer.
     */
    private static String oversized(ServerFixture s, String lengthHeader, boolean chunked) throws Exception {
        try (Socket sock = new Socket("127.0.0.1", s.server.port())) {
            OutputStream o = sock.getOutputStream();
            o.write(("PUT /api/envs/tiny/files/config.json HTTP/1.1\r\nHost: 127.0.0.1:" + s.server.port() + "\r\nContent-Type: application/json\r\n"
                    + lengthHeader + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] part = ("{\"pad\": \"" + "x".repeat(8 * 1024)).getBytes(StandardCharsets.UTF_8);
                try {
                    for (int i = 0; i < 64; i++) {
                        if (chunked) o.write((Integer.toHexString(part.length) + "\r\n").getBytes(StandardCharsets.UTF_8));
                        o.write(part);
                        if (chunked) o.write("\r\n".getBytes(StandardCharsets.UTF_8));
                        o.flush();
                    }
                } catch (IOException closedByTheServer) {
                    // expected once it has answered
                }
            });
            sock.setSoTimeout(30_000);
            String answer = new String(sock.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            sender.join(30_000);
            return answer;
        }
    }

    private static void oneLine(JsonNode body, String part) {
        String e = body.get("error").asText();
        assertFalse(e.contains("\n"), e);
        assertTrue(e.contains(part), "'" + e + "' says " + part);
    }
}
